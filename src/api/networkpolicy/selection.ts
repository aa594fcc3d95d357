// Which pods a NetworkPolicy is about and which pods its peers name, from plain API JSON
// (networking.k8s.io/v1 NetworkPolicy, v1 Pod, v1 Namespace), as upstream defines them:
// spec.podSelector picks pods of the policy's own namespace; a peer's podSelector alone picks
// pods of the policy's namespace, a namespaceSelector alone every pod of the matching
// namespaces, both together the matching pods of the matching namespaces.
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { KObject } from '../types.js';
import { selectorMatches, type LabelSelector } from '../selectors.js';
import { parseIPv4 } from '../../cluster/ipv4.js';

/** A container port a policy may name (`ports[].port: "http"`). */
export interface NamedPort {
  name: string;
  port: number;
  /** nft's spelling: tcp, udp or sctp. */
  protocol: string;
}

/** What policies need to know of a pod that has an address on the pod network. */
export interface PodFacts {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string;
  /** The address of the pod's node (status.hostIP), once the kubelet reported it. */
  hostIP?: string;
  ip: string;
  ipNumber: number;
  namedPorts: NamedPort[];
}

export interface ClusterView {
  pods: PodFacts[];
  podsByNamespace: Map<string, PodFacts[]>;
  namespaceLabels: Map<string, Record<string, string>>;
}

export const nftProtocol = (p: string | undefined): string => (p ?? 'TCP').toLowerCase();

/**
 * Pods that take part in policy: those with an IPv4 pod address that is theirs alone. Host-network
 * pods share the node's address (policy does not apply to them, as upstream), and finished pods
 * may have handed their address on to a new pod.
 */
export function podFacts(obj: KObject): PodFacts | undefined {
  const pod = obj as unknown as IPod;
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter((ip): ip is string => !!ip);
  const ip = ips.find((a) => parseIPv4(a) !== undefined);
  if (!ip) return undefined;
  const namedPorts: NamedPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) if (p.name) namedPorts.push({ name: p.name, port: p.containerPort, protocol: nftProtocol(p.protocol) });
  }
  return {
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name ?? '',
    labels: (obj.metadata.labels ?? {}) as Record<string, string>,
    nodeName: pod.spec?.nodeName ?? '',
    ...(pod.status?.hostIP ? { hostIP: pod.status.hostIP } : {}),
    ip,
    ipNumber: parseIPv4(ip)!,
    namedPorts,
  };
}

export function clusterView(pods: KObject[], namespaces: KObject[]): ClusterView {
  const facts = pods.map(podFacts).filter((p): p is PodFacts => p !== undefined);
  // Sorted so that everything built from the view comes out in the same order every time.
  facts.sort((a, b) => a.ipNumber - b.ipNumber || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const podsByNamespace = new Map<string, PodFacts[]>();
  for (const p of facts) {
    let list = podsByNamespace.get(p.namespace);
    if (!list) podsByNamespace.set(p.namespace, (list = []));
    list.push(p);
  }
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const ns of namespaces) namespaceLabels.set(ns.metadata.name ?? '', (ns.metadata.labels ?? {}) as Record<string, string>);
  return { pods: facts, podsByNamespace, namespaceLabels };
}

const asSelector = (s: unknown) => s as LabelSelector | undefined;

/** The pods of the policy's namespace that spec.podSelector selects (an empty selector: all of them). */
export function selectedPods(policy: INetworkPolicy, view: ClusterView): PodFacts[] {
  const ns = policy.metadata?.namespace ?? 'default';
  const sel = asSelector(policy.spec?.podSelector ?? {});
  return (view.podsByNamespace.get(ns) ?? []).filter((p) => selectorMatches(sel, p.labels));
}

/** The pods a peer names (none for a pure ipBlock peer). */
export function peerPods(peer: INetworkPolicyPeer, policyNamespace: string, view: ClusterView): PodFacts[] {
  if (!peer.podSelector && !peer.namespaceSelector) return [];
  const podSel = asSelector(peer.podSelector ?? {});
  const namespaces: string[] = [];
  if (peer.namespaceSelector) {
    const nsSel = asSelector(peer.namespaceSelector);
    for (const [ns, labels] of view.namespaceLabels) if (selectorMatches(nsSel, labels)) namespaces.push(ns);
  } else namespaces.push(policyNamespace);
  const out: PodFacts[] = [];
  for (const ns of namespaces) for (const p of view.podsByNamespace.get(ns) ?? []) if (selectorMatches(podSel, p.labels)) out.push(p);
  return out;
}

/** The policy types in force: spec.policyTypes, or upstream's default when a client left it out. */
export function policyTypes(policy: INetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = policy.spec?.policyTypes;
  if (Array.isArray(types) && types.length > 0) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  return { ingress: true, egress: (policy.spec?.egress ?? []).length > 0 };
}
