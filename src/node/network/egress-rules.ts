// What `skiff up --egress` puts on the machine, as pure functions: the policy, the host link's
// addresses, the interface and table names, the routes and the nftables scripts. egress.ts applies
// them. The path off the machine is
//   pod → node (masquerade to the node's 172.18.0.<i+2>) → fabric br0 (172.18.0.1)
//   → fabric's egress link (masquerade to its 100.64.x.y address) → host namespace (masquerade
//   to the host's own address on the way out).
// so the host namespace never needs a route to the fabric (172.18.0.0/16 belongs to docker on many
// machines) and every reply finds its way back through conntrack.
import { createHash } from 'node:crypto';
import { SERVICE_CLUSTER_IP_RANGE } from '../../cluster/constants.js';
import { formatIPv4, formatPrefix, parseIPv4, parsePrefix, prefixContains as contains, type IPv4Prefix as Prefix } from '../../cluster/ipv4.js';
import { FABRIC_PREFIX_LENGTH, NODE_UPLINK, validateClusterName } from './names.js';

/** Where off-cluster traffic may go: anywhere, nowhere, or only to these (normalised, disjoint) CIDRs. */
export type EgressPolicy = { mode: 'all' } | { mode: 'none' } | { mode: 'cidrs'; cidrs: string[] };

/** Every pod CIDR (10.244.<i>.0/24) lies in it. */
export const POD_NETWORK = '10.244.0.0/16';
/** The fabric's subnet (node uplinks are 172.18.0.<i+2>). */
export const FABRIC_NETWORK = `172.18.0.0/${FABRIC_PREFIX_LENGTH}`;
/** br0's address in the fabric namespace: the nodes' next hop off the cluster. */
export const FABRIC_GATEWAY = '172.18.0.1';
/** The block the host↔fabric links are carved from (RFC 6598 shared address space), one /30 per cluster. */
export const EGRESS_LINK_BLOCK = '100.64.0.0/10';
const LINK_PREFIX_LENGTH = 30;
/** The fabric's end of its link to the host namespace. */
export const FABRIC_EGRESS_IF = 'egress0';
/** The table in the node and fabric namespaces (one per namespace, so no cluster name is needed). */
export const EGRESS_TABLE = 'skiff-egress';
/** Addresses that stay inside the cluster: traffic to them is never masqueraded. */
const CLUSTER_RANGES = [POD_NETWORK, SERVICE_CLUSTER_IP_RANGE, FABRIC_NETWORK];

// ---- IPv4 arithmetic -------------------------------------------------------------------------

function overlaps(a: Prefix, b: Prefix): boolean {
  return contains(a, b) || contains(b, a);
}

// ---- policy ----------------------------------------------------------------------------------

/**
 * The policy of a cluster record's `egress` (`all`, `none`, or comma-separated IPv4 CIDRs or
 * addresses). CIDRs lose their host bits, and one inside another is dropped, so that the routes
 * and nftables sets built from them never overlap. A CIDR inside the cluster's own ranges (pods,
 * Services, the fabric) is refused: its route would take traffic away from the cluster.
 */
export function parseEgress(value: string): EgressPolicy {
  if (value === 'all' || value === 'none') return { mode: value };
  const prefixes: Prefix[] = [];
  for (const part of value.split(',')) {
    const p = parsePrefix(part.trim());
    if (!p) throw new Error(`invalid egress "${value}": "${part}" is not an IPv4 address or CIDR; use all, none, or CIDRs such as 10.0.0.0/8,192.0.2.7`);
    const inside = CLUSTER_RANGES.find((r) => contains(parsePrefix(r)!, p));
    if (inside) throw new Error(`invalid egress "${value}": ${formatPrefix(p)} lies inside the cluster's own range ${inside}`);
    prefixes.push(p);
  }
  const kept = prefixes
    .filter((p, i) => !prefixes.some((q, j) => j !== i && contains(q, p) && (q.len < p.len || j < i)))
    .sort((a, b) => a.base - b.base || a.len - b.len);
  return { mode: 'cidrs', cidrs: kept.map(formatPrefix) };
}

/** The destinations routed off the cluster: `default` for all, the CIDRs, or nothing. */
export function egressDestinations(policy: EgressPolicy): string[] {
  return policy.mode === 'all' ? ['default'] : policy.mode === 'cidrs' ? policy.cidrs : [];
}

// ---- the host link ---------------------------------------------------------------------------

/** The /30 between the host namespace and the fabric: .1 on the host end, .2 on the fabric end. */
export interface EgressLink {
  cidr: string;
  hostAddress: string;
  fabricAddress: string;
  prefixLength: number;
}

function linkAt(base: number): EgressLink {
  return {
    cidr: formatPrefix({ base, len: LINK_PREFIX_LENGTH }),
    hostAddress: formatIPv4(base + 1),
    fabricAddress: formatIPv4(base + 2),
    prefixLength: LINK_PREFIX_LENGTH,
  };
}

/**
 * Chooses the cluster's /30 in 100.64.0.0/10: starting at a slot given by a hash of the cluster
 * name (so clusters rarely even look at the same slot), the first that overlaps none of `taken`
 * (the host's routes and addresses, other clusters' links among them). Default routes are not
 * conflicts. Fails when the whole block is in use.
 */
export function chooseEgressLink(cluster: string, taken: readonly string[]): EgressLink {
  validateClusterName(cluster);
  const block = parsePrefix(EGRESS_LINK_BLOCK)!;
  const slots = 2 ** (LINK_PREFIX_LENGTH - block.len);
  const used = taken.map(parsePrefix).filter((p): p is Prefix => p !== undefined && p.len > 0 && overlaps(p, block));
  const start = createHash('sha256').update(cluster).digest().readUInt32BE(0) % slots;
  for (let k = 0; k < slots; k++) {
    const base = (block.base + ((start + k) % slots) * 4) >>> 0;
    const candidate = { base, len: LINK_PREFIX_LENGTH };
    if (!used.some((u) => overlaps(u, candidate))) return linkAt(base);
  }
  throw new Error(`choosing the egress link of cluster ${cluster}: every /30 of ${EGRESS_LINK_BLOCK} overlaps a route or address of the host`);
}

/** The link of an existing host end address (a repair keeps the link it has). */
export function egressLinkOf(hostAddress: string): EgressLink | undefined {
  const a = parseIPv4(hostAddress);
  if (a === undefined || !contains(parsePrefix(EGRESS_LINK_BLOCK)!, { base: a, len: 32 }) || (a & 3) !== 1) return undefined;
  return linkAt(a - 1);
}

/** The host end of the cluster's egress link: a hash like the fabric uplinks, but `ske` (15-character limit). */
export function hostEgressVethName(cluster: string): string {
  validateClusterName(cluster);
  return 'ske' + createHash('sha256').update(`${cluster}\0egress`).digest('hex').slice(0, 10);
}

/** Alias of the host end: starts with the cluster's namespace prefix, which cleanup looks for. */
export function hostEgressVethAlias(cluster: string): string {
  return `skiff.${cluster}.egress`;
}

/** The cluster's table in the host namespace. */
export function hostEgressTable(cluster: string): string {
  validateClusterName(cluster);
  return `skiff-${cluster}-egress`;
}

/** Host tables of any skiff cluster's egress (a cluster name is a DNS label, so the pattern is exact enough). */
export const HOST_EGRESS_TABLE_RE = /^skiff-([a-z0-9]([-a-z0-9]*[a-z0-9])?)-egress$/;

// ---- nftables scripts ------------------------------------------------------------------------

function quote(s: string): string {
  return JSON.stringify(s);
}

/** A table replaced as a whole in one transaction (`add` first so that `delete` never fails). */
function replaceTable(name: string, comment: string, body: string[]): string {
  const t = `ip ${name}`;
  return [`add table ${t}`, `delete table ${t}`, `add table ${t} { comment ${quote(comment)} ; }`, ...body].join('\n') + '\n';
}

export function deleteTableScript(name: string): string {
  return `add table ip ${name}\ndelete table ip ${name}\n`;
}

/**
 * Node namespace: pod traffic leaving the uplink for anything outside the cluster takes the
 * node's address. Pod→pod (other nodes), pod→Service (already DNATed to a pod) and pod→node
 * keep the pod's address, as in Kubernetes.
 */
export function nodeEgressScript(): string {
  const t = `ip ${EGRESS_TABLE}`;
  return replaceTable(EGRESS_TABLE, "skiff egress: pods leave the node with the node's address", [
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; policy accept ; }`,
    `add rule ${t} postrouting oifname ${quote(NODE_UPLINK)} ip saddr ${POD_NETWORK} ip daddr != { ${CLUSTER_RANGES.join(', ')} } masquerade`,
  ]);
}

/**
 * Fabric namespace: what leaves for the host takes the fabric's link address (the host has no
 * route to the fabric); from the host, only replies come in.
 */
export function fabricEgressScript(): string {
  const t = `ip ${EGRESS_TABLE}`;
  const link = quote(FABRIC_EGRESS_IF);
  return replaceTable(EGRESS_TABLE, 'skiff egress: the fabric leaves through the host with its link address', [
    `add chain ${t} forward { type filter hook forward priority filter ; policy accept ; }`,
    `add rule ${t} forward iifname ${link} ct state established,related accept`,
    `add rule ${t} forward iifname ${link} drop`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; policy accept ; }`,
    `add rule ${t} postrouting oifname ${link} masquerade`,
  ]);
}

/** What the host table's comment records: net.ipv4.ip_forward before the first skiff cluster set it. */
const FORWARDING_RECORD = 'net.ipv4.ip_forward before skiff:';

export function forwardingComment(cluster: string, forwardingBefore: '0' | '1'): string {
  return `skiff cluster ${cluster} egress; ${FORWARDING_RECORD} ${forwardingBefore}`;
}

/** The ip_forward value recorded in the comment of a listed table (`nft list table …`), if any. */
export function recordedForwarding(listing: string): '0' | '1' | undefined {
  const m = /^\s*comment "[^"\n]*net\.ipv4\.ip_forward before skiff: ([01])"/m.exec(listing);
  return m ? (m[1] as '0' | '1') : undefined;
}

/**
 * ip_forward as it was before skiff, to record in a cluster's host table: what the cluster
 * recorded itself on an earlier run, else what another cluster with egress recorded (that cluster
 * may have changed the current value), else the current value.
 */
export function forwardingToRecord(own: '0' | '1' | undefined, others: ('0' | '1' | undefined)[], current: '0' | '1'): '0' | '1' {
  return own ?? others.find((o) => o !== undefined) ?? current;
}

/**
 * What ip_forward goes back to when a cluster's egress is removed: its value before skiff, once no
 * other cluster's egress needs forwarding; undefined to leave it alone.
 */
export function forwardingAfterRemoval(recorded: '0' | '1' | undefined, othersRemain: boolean, current: '0' | '1'): '0' | undefined {
  return recorded === '0' && !othersRemain && current === '1' ? '0' : undefined;
}

/**
 * Host namespace: forwards the cluster's traffic to its allowed destinations and masquerades it
 * to the host's own address on the way out; nothing from outside starts a connection into the
 * cluster. The comment records ip_forward as it was before any skiff cluster changed it.
 */
export function hostEgressScript(cluster: string, policy: EgressPolicy, link: EgressLink, forwardingBefore: '0' | '1'): string {
  if (policy.mode === 'none') throw new Error(`cluster ${cluster} has egress none: nothing goes into the host namespace`);
  const name = hostEgressTable(cluster);
  const t = `ip ${name}`;
  const veth = quote(hostEgressVethName(cluster));
  const body = [
    `add chain ${t} forward { type filter hook forward priority filter ; policy accept ; }`,
    `add rule ${t} forward oifname ${veth} ct state established,related accept`,
    `add rule ${t} forward oifname ${veth} drop`,
  ];
  if (policy.mode === 'cidrs') {
    body.push(`add rule ${t} forward iifname ${veth} ip daddr != { ${policy.cidrs.join(', ')} } drop`);
  }
  body.push(
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; policy accept ; }`,
    `add rule ${t} postrouting ip saddr ${link.fabricAddress} oifname != ${veth} masquerade`,
  );
  return replaceTable(name, forwardingComment(cluster, forwardingBefore), body);
}
