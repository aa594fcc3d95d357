import type { IPod } from 'kubernetes-models/v1/Pod';
import { controllerOf } from '../client/controllerref.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, podRequests, resourceList, type ResourceList } from './resources.js';
import type { Taint } from '../api/taints.js';
import type { Node, Pod } from '../client/resources.js';

// What the scheduler knows about each node: the node's own facts and the aggregate of the
// pods bound (or assumed bound) to it, as pkg/scheduler/framework.NodeInfo.

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** The parts of a pod the scheduler needs, computed once per pod version. */
export interface PodInfo {
  uid: string;
  /** `namespace/name` */
  key: string;
  requests: ResourceList;
  /** cpu (millis) and memory with upstream's defaults for missing requests, used when scoring. */
  nonZeroCpu: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  /** UID of the controlling owner (ReplicaSet, StatefulSet, …), for spreading. */
  owner?: string;
}

export function podSpec(pod: Pod): NonNullable<IPod['spec']> {
  return pod.spec ?? { containers: [] };
}

export function podHostPorts(pod: Pod): HostPort[] {
  const spec = podSpec(pod);
  const out: HostPort[] = [];
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function podInfo(pod: Pod): PodInfo {
  const spec = podSpec(pod);
  const nonZero = podRequests(spec, { cpu: DEFAULT_MILLI_CPU_REQUEST, memory: DEFAULT_MEMORY_REQUEST });
  return {
    uid: pod.metadata.uid ?? '',
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    requests: podRequests(spec),
    nonZeroCpu: nonZero.cpu ?? 0,
    nonZeroMemory: nonZero.memory ?? 0,
    hostPorts: podHostPorts(pod),
    owner: controllerOf(pod)?.uid,
  };
}

/** Whether two host ports collide: same protocol and port, and one of them binds every address. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

export type ReadyStatus = 'True' | 'False' | 'Unknown' | undefined;

export class NodeInfo {
  node?: Node;
  readonly pods = new Map<string, PodInfo>();
  readonly requested: ResourceList = {};
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  private owners = new Map<string, number>();

  // Node facts, refreshed by setNode.
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  unschedulable = false;
  ready: ReadyStatus;
  allocatable: ResourceList = {};

  constructor(readonly name: string) {}

  setNode(n: Node | undefined): void {
    this.node = n;
    this.labels = n?.metadata?.labels ?? {};
    this.taints = (n?.spec?.taints ?? []) as Taint[];
    this.unschedulable = n?.spec?.unschedulable === true;
    this.ready = n?.status?.conditions?.find((c) => c.type === 'Ready')?.status as ReadyStatus;
    this.allocatable = resourceList(n?.status?.allocatable as Record<string, unknown> | undefined);
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.uid)) this.removePod(p.uid);
    this.pods.set(p.uid, p);
    this.account(p, 1);
  }

  removePod(uid: string): void {
    const p = this.pods.get(uid);
    if (!p) return;
    this.pods.delete(uid);
    this.account(p, -1);
  }

  /** Pods on this node controlled by the given owner. */
  ownerCount(owner: string | undefined): number {
    return owner ? (this.owners.get(owner) ?? 0) : 0;
  }

  usedPorts(): HostPort[] {
    const out: HostPort[] = [];
    for (const p of this.pods.values()) out.push(...p.hostPorts);
    return out;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    for (const [k, v] of Object.entries(p.requests)) this.requested[k] = (this.requested[k] ?? 0) + sign * v;
    this.nonZeroCpu += sign * p.nonZeroCpu;
    this.nonZeroMemory += sign * p.nonZeroMemory;
    if (p.owner) {
      const n = (this.owners.get(p.owner) ?? 0) + sign;
      if (n > 0) this.owners.set(p.owner, n);
      else this.owners.delete(p.owner);
    }
  }
}
