// Whether NetworkPolicy lets a new connection from one pod address to another through, decided
// from the policies' resolved allow rules rather than by the kernel: for a proxy that makes the
// connection on the client's behalf (the mesh's node proxy), so that the policies of the client
// (egress) and of the pod it reaches (ingress) still hold, as the node holds them for the
// connections it forwards (src/node/networkpolicy). Plain JSON, so istiod can send it as it is.
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { KObject } from '../types.js';
import { parseIPv4 } from '../../cluster/ipv4.js';
import { allowRules, type AllowRule } from './allow-rules.js';
import { clusterView, policyTypes, selectedPods } from './selection.js';

/** The pods policies isolate, by address; a pod absent from a direction is not isolated in it. */
export interface PolicyTable {
  /** The allow rules of each policy and direction that isolates some pod. */
  rules: AllowRule[][];
  /** Each isolated pod's policies: indexes in `rules`, any rule of which lets a connection through. */
  ingress: Record<string, number[]>;
  egress: Record<string, number[]>;
  /**
   * The node address of each pod isolated for egress: traffic between a pod and its own node
   * always passes, as upstream requires (on the node it never meets the forward hook).
   */
  nodes: Record<string, string>;
}

/** The table of every pod of the cluster that some policy isolates; undefined when none is. */
export function policyTable(policies: KObject[], pods: KObject[], namespaces: KObject[]): PolicyTable | undefined {
  if (policies.length === 0) return undefined;
  const view = clusterView(pods, namespaces);
  const table: PolicyTable = { rules: [], ingress: {}, egress: {}, nodes: {} };
  for (const policy of policies as unknown as INetworkPolicy[]) {
    const targets = selectedPods(policy, view);
    if (targets.length === 0) continue;
    const types = policyTypes(policy);
    for (const dir of ['ingress', 'egress'] as const) {
      if (!types[dir]) continue;
      const i = table.rules.push(allowRules(policy, dir, targets, view)) - 1;
      for (const t of targets) {
        (table[dir][t.ip] ??= []).push(i);
        if (dir === 'egress' && t.hostIP) table.nodes[t.ip] = t.hostIP;
      }
    }
  }
  return table.rules.length > 0 ? table : undefined;
}

/**
 * Whether a rule lets a connection through: `peer` is its source for an ingress rule, its
 * destination for an egress one (undefined: an address the rule cannot name, such as a host
 * name, which only a rule without peers lets through).
 */
export function ruleAllows(rule: AllowRule, peer: number | undefined, dst: string, protocol: string, port: number): boolean {
  if (rule.peers && (peer === undefined || !rule.peers.some((r) => r.start <= peer && peer <= r.end))) return false;
  const ports = rule.ports;
  if (!ports) return true;
  if (ports.numeric.some((p) => p.protocol === protocol && p.start <= port && port <= p.end)) return true;
  return !!ports.named?.some((p) => p.ip === dst && p.protocol === protocol && p.port === port);
}

/**
 * Whether a new connection from pod address `src` to `dst` (a pod's address, or any other
 * destination) on `protocol`/`port` passes the source's egress policies and the destination's
 * ingress policies. A pod reaching itself or its own node always passes, as on the node.
 */
export function connectionAllowed(table: PolicyTable, src: string, dst: string, protocol: string, port: number): boolean {
  if (src === dst || table.nodes[src] === dst) return true;
  const egress = table.egress[src];
  if (egress && !anyAllows(table, egress, parseIPv4(dst), dst, protocol, port)) return false;
  const ingress = table.ingress[dst];
  return !ingress || anyAllows(table, ingress, parseIPv4(src), dst, protocol, port);
}

function anyAllows(table: PolicyTable, policies: number[], peer: number | undefined, dst: string, protocol: string, port: number): boolean {
  for (const i of policies) for (const r of table.rules[i] ?? []) if (ruleAllows(r, peer, dst, protocol, port)) return true;
  return false;
}
