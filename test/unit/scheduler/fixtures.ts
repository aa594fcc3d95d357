import type { Node, Pod } from '../../../src/client/resources.js';
import { NodeInfo, podInfo } from '../../../src/scheduler/nodeinfo.js';

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string; timeAdded?: string }[];
  ready?: 'True' | 'False' | 'Unknown' | null;
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function node(name: string, o: NodeOpts = {}): Node {
  const alloc = { cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) };
  const ready = o.ready === undefined ? 'True' : o.ready;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: alloc,
      allocatable: alloc,
      conditions: ready === null ? [] : [{ type: 'Ready', status: ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }],
    },
  } as Node;
}

export interface PodOpts {
  ns?: string;
  cpu?: string;
  memory?: string;
  nodeName?: string;
  owner?: string;
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  hostPort?: number;
  hostIP?: string;
  phase?: string;
  preemptionPolicy?: string;
  extra?: Record<string, string>;
  conditions?: unknown[];
  deleting?: boolean;
  created?: string;
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = { ...(o.extra ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const ports = o.hostPort ? [{ containerPort: 80, hostPort: o.hostPort, protocol: 'TCP', ...(o.hostIP ? { hostIP: o.hostIP } : {}) }] : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      uid: `uid-${name}`,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      schedulerName: 'default-scheduler',
      containers: [{ name: 'c', image: 'busybox', resources: Object.keys(requests).length ? { requests } : {}, ...(ports ? { ports } : {}) }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.preemptionPolicy ? { preemptionPolicy: o.preemptionPolicy } : {}),
    },
    status: { phase: o.phase ?? 'Pending', ...(o.conditions ? { conditions: o.conditions } : {}) },
  } as Pod;
}

/** NodeInfos for the nodes, with the given pods placed on their spec.nodeName. */
export function nodeInfos(nodes: Node[], pods: Pod[] = []): NodeInfo[] {
  return nodes.map((n) => {
    const info = new NodeInfo(n.metadata.name as string);
    info.setNode(n);
    for (const p of pods) if ((p.spec as { nodeName?: string }).nodeName === info.name) info.addPod(podInfo(p));
    return info;
  });
}
