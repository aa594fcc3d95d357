import type { KObject } from '../types.js';
import { defaultPodTemplate } from './pod.js';
import { ensureObject, isObject, setDefault } from './util.js';

// apps/v1 SetDefaults_Deployment and SetDefaults_ReplicaSet.

export function defaultDeployment(d: KObject): void {
  const spec = ensureObject(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = ensureObject(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  if (isObject(spec.template)) defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(rs: KObject): void {
  const spec = ensureObject(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  if (isObject(spec.template)) defaultPodTemplate(spec.template);
}
