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
//
// The mesh: a meshed pod's connection to a Service goes to its node's ztunnel with the Service's
// address as destination (src/node/mesh), and the ztunnel makes the connection to the chosen pod
// from its own address. Neither leg says who talks to whom, so the ztunnel applies both pods'
// policies itself (src/api/networkpolicy/verdict.ts), and its DNS proxy those of the queries it
// forwards: the node lets the mesh's marked traffic (captured connections, DNS queries to the
// ztunnel) past the egress check and the ztunnels' own traffic past the ingress check.
import { createHash } from 'node:crypto';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { KObject } from '../../api/types.js';
import { allowRules, type Direction, type PortRange } from '../../api/networkpolicy/allow-rules.js';
import { mergeRanges, rangeElement } from '../../api/networkpolicy/ip-ranges.js';
import { ISTIO_NAMESPACE, ZTUNNEL_APP } from '../mesh/capture.js';
import { clusterView, policyTypes, selectedPods, type ClusterView, type PodFacts } from '../../api/networkpolicy/selection.js';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'skiff-netpol';

export const INGRESS_PODS = 'ingress-pods';
export const EGRESS_PODS = 'egress-pods';
export const SELF = 'self';
/** The mesh's node proxies (ztunnel pods), which apply the policies of the connections they make themselves. */
export const MESH_PROXIES = 'mesh-proxies';
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
const PLAIN_ADDR_SET = '{ type ipv4_addr ; }';

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
  const proxies: NftSet = { decl: PLAIN_ADDR_SET, elements: new Map() };
  if (input.policies.length > 0) for (const p of view.pods) if (p.namespace === ISTIO_NAMESPACE && p.labels.app === ZTUNNEL_APP) proxies.elements.set(p.ip, p.ip);
  sets.set(MESH_PROXIES, proxies);
  return { sets, chains };
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The nft rules of one direction of one policy; adds the sets they use to `sets`. */
function directionRules(policy: INetworkPolicy, dir: Direction, id: string, targets: PodFacts[], view: ClusterView, sets: Map<string, NftSet>): string[] {
  const peerAddr = dir === 'ingress' ? 'ip saddr' : 'ip daddr';
  const out: string[] = [];
  allowRules(policy, dir, targets, view).forEach((rule, r) => {
    const tag = `${id}-${dir === 'ingress' ? 'in' : 'out'}${r}`;
    let peerMatch = '';
    if (rule.peers) {
      const name = `${tag}-peers`;
      sets.set(name, { decl: ADDR_SET, elements: new Map(rule.peers.map((x) => [rangeElement(x), rangeElement(x)])) });
      peerMatch = `${peerAddr} @${name} `;
    }
    if (!rule.ports) {
      out.push(`${peerMatch}accept`);
      return;
    }
    const { numeric, named } = rule.ports;
    if (numeric.length > 0) out.push(`${peerMatch}meta l4proto . th dport { ${portElements(numeric).join(', ')} } accept`);
    if (named) {
      const elements = new Map<string, string>();
      for (const p of named) {
        const e = `${p.ip} . ${p.protocol} . ${p.port}`;
        elements.set(e, e);
      }
      const name = `${tag}-ports`;
      sets.set(name, { decl: PORT_SET, elements });
      // Egress named ports are those of the peer pods already.
      out.push(`${dir === 'ingress' ? peerMatch : ''}ip daddr . meta l4proto . th dport @${name} accept`);
    }
  });
  return out;
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
