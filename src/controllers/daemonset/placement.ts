import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KObject } from '../../api/types.js';
import { matchesNodeSelectorAndAffinity } from '../../api/nodeaffinity.js';
import {
  doNotScheduleTaints,
  findUntoleratedTaint,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Taint,
  type Toleration,
} from '../../api/taints.js';

// Which nodes a DaemonSet's pod belongs on (pkg/controller/daemon: NodeShouldRunDaemonPod,
// predicates, and util.AddOrUpdateDaemonPodTolerations / ReplaceDaemonSetPodNodeNameNodeAffinity).

export interface Placement {
  /** A daemon pod should be created on the node. */
  shouldRun: boolean;
  /** A daemon pod already there may stay (it tolerates the node's NoExecute taints). */
  shouldContinueRunning: boolean;
}

/**
 * The tolerations every daemon pod gets: node problems must not evict a node's daemons (the
 * node lifecycle controller's NoExecute taints) nor keep them off a cordoned or pressured node.
 */
export function daemonPodTolerations(spec: IPodSpec): Toleration[] {
  const wanted: Toleration[] = [
    { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) wanted.push({ key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  const out = (spec.tolerations ?? []).slice();
  // AddOrUpdateTolerationInPodSpec: a toleration already there with the same key, operator, value and effect is kept.
  const same = (a: Toleration, b: Toleration) => (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
  for (const t of wanted) if (!out.some((o) => same(o, t))) out.push(t);
  return out;
}

/** NodeShouldRunDaemonPod: the template's node name and affinity must fit; taints decide run versus stay. */
export function nodeShouldRunDaemonPod(node: KObject, ds: KObject): Placement {
  const tspec = ((ds.spec as { template?: { spec?: IPodSpec } } | undefined)?.template?.spec ?? {}) as IPodSpec;
  const name = node.metadata.name ?? '';
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (tspec.nodeName && tspec.nodeName !== name) return no;
  if (!matchesNodeSelectorAndAffinity(tspec, node.metadata.labels ?? {}, name)) return no;
  const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []);
  const tolerations = daemonPodTolerations(tspec);
  if (!findUntoleratedTaint(taints, tolerations, doNotScheduleTaints)) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
}

/** The required node affinity that pins a daemon pod to its node; the scheduler then binds it there. */
export function nodeNameAffinity(spec: IPodSpec, node: string): IPodSpec['affinity'] {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [node] }] }] };
  return { ...(spec.affinity ?? {}), nodeAffinity: { ...(spec.affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** GetTargetNodeName: the node a daemon pod is bound to, or pinned to while it waits for the scheduler. */
export function targetNodeName(pod: KObject): string | undefined {
  const spec = (pod.spec ?? {}) as IPodSpec;
  if (spec.nodeName) return spec.nodeName;
  for (const term of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
