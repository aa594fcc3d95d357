import type { KObject } from '../types.js';

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  tolerations?: Toleration[];
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
}

/** Seconds a pod stays bound to a not-ready or unreachable node (kube-apiserver's default). */
export const DEFAULT_TOLERATION_SECONDS = 300;

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * What the default admission chain does to a new pod upstream: the ServiceAccount plugin names
 * `default`, DefaultTolerationSeconds adds the two NoExecute tolerations the node lifecycle
 * controller honours, and Priority sets priority 0 with the default preemption policy.
 */
export function admitPod(pod: KObject): void {
  const spec = (pod.spec ??= {}) as PodSpec;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = (spec.tolerations ??= []);
  for (const key of TAINTS) {
    const covered = tolerations.some(
      (t) => (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute') && (t.key === key || ((t.key === undefined || t.key === '') && t.operator === 'Exists')),
    );
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (spec.priority === undefined && !spec.priorityClassName) spec.priority = 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
}
