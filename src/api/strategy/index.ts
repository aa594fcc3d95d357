import { kindKey } from '../kinds.js';
import { daemonSetStrategy } from './daemonset.js';
import { jobStrategy } from './job.js';
import { namespaceStrategy } from './namespace.js';
import { nodeStrategy } from './node.js';
import { podStrategy } from './pod.js';
import { serviceStrategy } from './service.js';
import type { Strategy } from './types.js';

export type { Strategy, SubresourceStrategy, KubeletLocation } from './types.js';

/** Each kind's strategy, by kind key; kinds not listed get the generic behaviour. */
export const strategies: Record<string, Strategy> = {
  [kindKey('', 'Namespace')]: namespaceStrategy,
  [kindKey('', 'Node')]: nodeStrategy,
  [kindKey('', 'Pod')]: podStrategy,
  [kindKey('', 'Service')]: serviceStrategy,
  [kindKey('apps', 'DaemonSet')]: daemonSetStrategy,
  [kindKey('batch', 'Job')]: jobStrategy,
};
