// A NetworkPolicy's allow rules resolved against the cluster: the addresses each rule's peers
// name and the ports it opens, named ports looked up on the pods they belong to. The node writes
// them as nftables rules (src/node/networkpolicy/rules.ts); the mesh's node proxy, which makes
// the connections of the pods it serves, applies them itself (src/addons/istio). One reading of
// the policy for both, so they cannot disagree.
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { cidrRange, mergeRanges, rangeContains, subtractRanges, type Range } from './ip-ranges.js';
import { nftProtocol, peerPods, type ClusterView, type PodFacts } from './selection.js';

export type Direction = 'ingress' | 'egress';

export interface PortRange {
  /** tcp, udp or sctp. */
  protocol: string;
  start: number;
  end: number;
}

/** A named port as resolved on one destination pod. */
export interface PodPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface AllowRule {
  /** The peers' addresses (sources for ingress, destinations for egress), merged; absent: any peer. */
  peers?: Range[];
  /** Absent: every port of every protocol (the rule lists no ports). */
  ports?: {
    numeric: PortRange[];
    /**
     * Absent when the rule names no port; else the ports of those names on the destination pods:
     * the policy's own pods for ingress, for egress the peer pods (every pod when the rule names
     * no peers).
     */
    named?: PodPort[];
  };
}

/** The allow rules of one direction of a policy, for the pods it selects (`targets`). */
export function allowRules(policy: INetworkPolicy, dir: Direction, targets: PodFacts[], view: ClusterView): AllowRule[] {
  const ns = policy.metadata?.namespace ?? 'default';
  const rules = (dir === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
  return rules.map((rule) => {
    const peers: INetworkPolicyPeer[] = (dir === 'ingress' ? (rule as { from?: INetworkPolicyPeer[] }).from : (rule as { to?: INetworkPolicyPeer[] }).to) ?? [];
    const ports: INetworkPolicyPort[] = rule.ports ?? [];
    const out: AllowRule = {};
    let destinations = dir === 'ingress' ? targets : view.pods;
    if (peers.length > 0) {
      const resolved = resolvePeers(peers, ns, view);
      out.peers = resolved.ranges;
      if (dir === 'egress') destinations = resolved.pods;
    }
    if (ports.length === 0) return out;
    const numeric: PortRange[] = [];
    const names: { protocol: string; name: string }[] = [];
    for (const p of ports) {
      const protocol = nftProtocol(p.protocol);
      if (p.port === undefined || p.port === null) numeric.push({ protocol, start: 0, end: 65535 });
      else if (typeof p.port === 'number') numeric.push({ protocol, start: p.port, end: Math.max(p.port, p.endPort ?? p.port) });
      else names.push({ protocol, name: p.port });
    }
    out.ports = { numeric };
    if (names.length === 0) return out;
    const named = new Map<string, PodPort>();
    for (const pod of destinations) {
      for (const n of names) {
        for (const cp of pod.namedPorts) {
          if (cp.name === n.name && cp.protocol === n.protocol) named.set(`${pod.ip} ${cp.protocol} ${cp.port}`, { ip: pod.ip, protocol: cp.protocol, port: cp.port });
        }
      }
    }
    out.ports.named = [...named.values()];
    return out;
  });
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
