import type { KObject } from '../types.js';
import { defaultPodTemplate } from './pod.js';
import { ensureObject, isObject, setDefault } from './util.js';

// apps/v1 SetDefaults_DaemonSet: RollingUpdate one node at a time, no surge, ten revisions kept.

export function defaultDaemonSet(ds: KObject): void {
  const spec = ensureObject(ds, 'spec');
  const strategy = ensureObject(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  if (isObject(spec.template)) defaultPodTemplate(spec.template);
}
