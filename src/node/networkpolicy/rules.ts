// The NetworkPolicy ruleset of one node, as a plain value: the policies, pods and namespaces
// of the cluster (API JSON) and the node's name in, the sets, maps and chains of the node's
// `inet skiff-netpol` table out. Only pods on this node are isolated here; their peers may be
// anywhere (each node enforces for its own pods: ingress where the destination lives, egress
// where the source lives).
//
// Layout:
//   forward-egress  (hook forward, priority 0): replies pass; a local pod's new connection goes
//                   to the chain of the egress policies that select it (vmap on ip saddr).
//   forward-ingress (hook forward, priority 1): the same for connections to local pods, keyed on
//                   ip daddr. Base chains run one after the other, so an egress accept still
//                   meets the ingress check.
//   pods-<hash>     one per distinct list of policies: jump to each policy's chain, then drop.
//   np-<id>-in/out  one per policy and direction: a rule per allow rule, `accept` on a match.
//   sets            per allow rule: its peers (interval set of addresses) and, for named ports,
//                   the resolved address . protocol . port of each destination pod.
// Traffic between a pod and its own node never crosses the forward hook, so it always passes,
// as upstream requires; a pod reaching itself through a Service is let through by @self.
import { createHash } from 'node:crypto';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { KObject } from '../../api/types.js';
import { cidrRange, mergeRanges, rangeContains, rangeElement, subtractRanges, type Range } from './ip-ranges.js';
import { clusterView, nftProtocol, peerPods, policyTypes, selectedPods, type ClusterView, type PodFacts } from './selection.js';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'skiff-netpol';

export const INGRESS_PODS = 'ingress-pods';
export const EGRESS_PODS = 'egress-pods';
export const SELF = 'self';
export const EGRESS_CHAIN = 'forward-egress';
export const INGRESS_CHAIN = 'forward-ingress';

/** A named set or map: its declaration and its elements (key -> element as nft writes it). */
export interface NftSet {
  decl: string;
  elements: Map<string, string>;
}

export interface NetpolState {
  sets: Map<string, NftSet>;
  /** Regular chains (the base chains are fixed and not listed), name -> rules in order. */
  chains: Map<string, string[]>;
}

export interface NetpolInput {
  policies: KObject[];
  pods: KObject[];
  namespaces: KObject[];
  nodeName: string;
}

const ADDR_SET = '{ type ipv4_addr ; flags interval ; }';
const PORT_SET = '{ type ipv4_addr . inet_proto . inet_service ; }';
const VMAP = '{ type ipv4_addr : verdict ; }';
const SELF_SET = '{ type ipv4_addr . ipv4_addr ; }';

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** The chain name prefix of a policy: stable for its namespace/name, so an update rewrites it in place. */
export const policyId = (namespace: string, name: string) => `np-${shortHash(`${namespace}/${name}`)}`;

export function buildNetpolState(input: NetpolInput): NetpolState {
  // Without policies nothing below reads the view; building it costs a pass over every pod of the
  // cluster at each pod event, quadratic in the pods of a scale-up.
  const view = input.policies.length > 0 ? clusterView(input.pods, input.namespaces) : { pods: [], podsByNamespace: new Map(), namespaceLabels: new Map() };
  const sets = new Map<string, NftSet>();
  const chains = new Map<string, string[]>();
  const ingressOf = new Map<string, string[]>();
  const egressOf = new Map<string, string[]>();
  const policies = (input.policies as unknown as INetworkPolicy[])
    .slice()
    .sort((a, b) => (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));

  for (const policy of policies) {
    const targets = selectedPods(policy, view).filter((p) => p.nodeName === input.nodeName);
    if (targets.length === 0) continue;
    const id = policyId(policy.metadata?.namespace ?? 'default', policy.metadata?.name ?? '');
    const types = policyTypes(policy);
    if (types.ingress) {
      chains.set(`${id}-in`, directionRules(policy, 'ingress', id, targets, view, sets));
      for (const t of targets) push(ingressOf, t.ip, `${id}-in`);
    }
    if (types.egress) {
      chains.set(`${id}-out`, directionRules(policy, 'egress', id, targets, view, sets));
      for (const t of targets) push(egressOf, t.ip, `${id}-out`);
    }
  }

  const selfSet: NftSet = { decl: SELF_SET, elements: new Map() };
  for (const [mapName, byPod] of [
    [INGRESS_PODS, ingressOf],
    [EGRESS_PODS, egressOf],
  ] as const) {
    const map: NftSet = { decl: VMAP, elements: new Map() };
    for (const [ip, policyChains] of byPod) {
      // Pods isolated by the same policies share one chain, so a new replica adds one element.
      const group = `pods-${shortHash(policyChains.join(','))}`;
      if (!chains.has(group)) chains.set(group, [...policyChains.map((c) => `jump ${c}`), 'drop']);
      map.elements.set(ip, `${ip} : goto ${group}`);
      selfSet.elements.set(`${ip} . ${ip}`, `${ip} . ${ip}`);
    }
    sets.set(mapName, map);
  }
  sets.set(SELF, selfSet);
  return { sets, chains };
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

interface PortRange {
  protocol: string;
  start: number;
  end: number;
}

/** The rules of one direction of one policy; adds the sets they use to `sets`. */
function directionRules(
  policy: INetworkPolicy,
  dir: 'ingress' | 'egress',
  id: string,
  targets: PodFacts[],
  view: ClusterView,
  sets: Map<string, NftSet>,
): string[] {
  const ns = policy.metadata?.namespace ?? 'default';
  const allowRules = (dir === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
  const peerAddr = dir === 'ingress' ? 'ip saddr' : 'ip daddr';
  const out: string[] = [];
  allowRules.forEach((rule, r) => {
    const peers: INetworkPolicyPeer[] = (dir === 'ingress' ? (rule as { from?: INetworkPolicyPeer[] }).from : (rule as { to?: INetworkPolicyPeer[] }).to) ?? [];
    const ports: INetworkPolicyPort[] = rule.ports ?? [];
    const tag = `${id}-${dir === 'ingress' ? 'in' : 'out'}${r}`;

    let peerMatch = '';
    // Destination pods whose named ports an egress rule may open.
    let egressDestinations: PodFacts[] = view.pods;
    if (peers.length > 0) {
      const { ranges, pods } = resolvePeers(peers, ns, view);
      const name = `${tag}-peers`;
      sets.set(name, { decl: ADDR_SET, elements: new Map(ranges.map((x) => [rangeElement(x), rangeElement(x)])) });
      peerMatch = `${peerAddr} @${name} `;
      egressDestinations = pods;
    }
    if (ports.length === 0) {
      out.push(`${peerMatch}accept`);
      return;
    }

    const numeric: PortRange[] = [];
    const named: { protocol: string; name: string }[] = [];
    for (const p of ports) {
      const protocol = nftProtocol(p.protocol);
      if (p.port === undefined || p.port === null) numeric.push({ protocol, start: 0, end: 65535 });
      else if (typeof p.port === 'number') numeric.push({ protocol, start: p.port, end: Math.max(p.port, p.endPort ?? p.port) });
      else named.push({ protocol, name: p.port });
    }
    if (numeric.length > 0) out.push(`${peerMatch}meta l4proto . th dport { ${portElements(numeric).join(', ')} } accept`);
    if (named.length > 0) {
      // A named port means the port of that name on the destination pod, so it is resolved per
      // pod: the policy's own pods for ingress, the peer pods for egress.
      const destinations = dir === 'ingress' ? targets : egressDestinations;
      const elements = new Map<string, string>();
      for (const pod of destinations) {
        for (const n of named) {
          for (const cp of pod.namedPorts) {
            if (cp.name !== n.name || cp.protocol !== n.protocol) continue;
            const e = `${pod.ip} . ${cp.protocol} . ${cp.port}`;
            elements.set(e, e);
          }
        }
      }
      const name = `${tag}-ports`;
      sets.set(name, { decl: PORT_SET, elements });
      out.push(`${dir === 'ingress' ? peerMatch : ''}ip daddr . meta l4proto . th dport @${name} accept`);
    }
  });
  return out;
}

/** The addresses a rule's peers allow, and the pods among them. */
function resolvePeers(peers: INetworkPolicyPeer[], ns: string, view: ClusterView): { ranges: Range[]; pods: PodFacts[] } {
  const ranges: Range[] = [];
  const pods = new Map<string, PodFacts>();
  for (const peer of peers) {
    if (peer.ipBlock) {
      const block = cidrRange(peer.ipBlock.cidr);
      if (!block) continue; // an IPv6 block: this pod network has no IPv6 addresses
      const holes = (peer.ipBlock.except ?? []).map(cidrRange).filter((x): x is Range => x !== undefined);
      const allowed = subtractRanges([block], holes);
      ranges.push(...allowed);
      for (const p of view.pods) if (rangeContains(allowed, p.ipNumber)) pods.set(p.ip, p);
      continue;
    }
    for (const p of peerPods(peer, ns, view)) {
      ranges.push({ start: p.ipNumber, end: p.ipNumber });
      pods.set(p.ip, p);
    }
  }
  return { ranges: mergeRanges(ranges), pods: [...pods.values()] };
}

/** `tcp . 80`, `udp . 1000-2000`: one element per protocol and merged port range. */
function portElements(ports: PortRange[]): string[] {
  const out: string[] = [];
  for (const protocol of [...new Set(ports.map((p) => p.protocol))].sort()) {
    const merged = mergeRanges(ports.filter((p) => p.protocol === protocol).map((p) => ({ start: p.start, end: p.end })));
    for (const r of merged) out.push(`${protocol} . ${r.start === r.end ? r.start : `${r.start}-${r.end}`}`);
  }
  return out;
}
