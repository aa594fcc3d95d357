// The Service proxy's nftables ruleset, laid out as upstream kube-proxy's nftables mode: one
// private table (`ip skiff-proxy`) per node network namespace, verdict maps keyed by
// address . protocol . port, one chain per service port, and a reject for service ports without
// endpoints. Where upstream has a chain per endpoint, a Service without session affinity here DNATs
// from its own chain with a cascade of `numgen random mod N-i == 0` rules (each endpoint equally
// likely), and hairpin traffic is found by one set of endpoint address pairs: nft reads the
// table's chains before every transaction, so fewer chains (and no anonymous verdict maps, which
// nft builds in quadratic time) is what keeps one change cheap at 10,000 Services. Services with
// ClientIP affinity keep per-endpoint chains, which record the choice in a timed set. A ClusterIP is on no interface and only its listed ports are
// mapped, so nothing answers a ping to it.
//
// Everything here is pure: Services + EndpointSlices + node facts -> ProxyState -> nft scripts.
// The incremental script only touches the service ports whose rules changed, so one change costs
// O(changed objects), and the rules of a Service whose objects did not change are reused as they are.
import { MESH_MARK } from '../mesh/rules.js';
import { chainPrefix, endpointChainBase, servicePortChainBase } from './chain-names.js';
import {
  categorizeEndpoints,
  externallyAccessible,
  serviceKey,
  servicePortsOf,
  slicesByService,
  type EndpointSliceJSON,
  type NodeFacts,
  type ServiceJSON,
  type ServicePort,
} from './service-ports.js';

export type { EndpointSliceJSON, NodeFacts, ServiceJSON } from './service-ports.js';

export const TABLE_FAMILY = 'ip';
export const TABLE_NAME = 'skiff-proxy';
const T = `${TABLE_FAMILY} ${TABLE_NAME}`;
/** The packet mark that asks the masquerading chain to SNAT (upstream's default bit 14). */
export const MASQUERADE_MARK = '0x00004000';

const SERVICE_IPS = 'service-ips';
const SERVICE_NODEPORTS = 'service-nodeports';
const NODEPORT_IPS = 'nodeport-ips';
const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const REJECT_CHAIN = 'reject-chain';
const ENDPOINTS_CHECK = 'endpoints-check';
const SERVICES = 'services';
const MARK_MASQ = 'mark-for-masquerade';
const MASQUERADING = 'masquerading';
const HAIRPIN = 'hairpin-endpoints';
const CLUSTER_IPS = 'cluster-ips';

/** The shared chain and slot map of ClusterIP frontends with n endpoints. */
const slotsChain = (n: number) => `endpoints-${n}`;
const slotsMap = (n: number) => `endpoint-slots-${n}`;
type MapName = string;

export interface MapElement {
  map: MapName;
  key: string;
  /** The verdict of a map element; '' for an element of a set. */
  value: string;
}

export interface AffinitySet {
  name: string;
  timeoutSeconds: number;
}

/** Everything one service port contributes to the table. */
export interface ServicePortRules {
  key: string;
  protocol: string;
  elements: MapElement[];
  /** Chain name -> its rules, in order. */
  chains: Map<string, string[]>;
  sets: AffinitySet[];
  /** For conntrack cleanup of UDP: the addresses clients use and the endpoints behind them. */
  frontends: { ips: string[]; nodePort: number };
  endpoints: string[];
  /** Endpoint IPs a pod may reach itself through (hairpin, masqueraded). */
  hairpin: string[];
  /** n when the port's endpoints live in the shared endpoint-slots-n map instead of chains of its own. */
  slots?: number;
}

export interface ProxyState {
  /** Node facts as text: a change means the base chains differ and needs a full sync. */
  nodeKey: string;
  node: NodeFacts;
  ports: Map<string, ServicePortRules>;
  /** Endpoint IP -> how many service ports list it: the hairpin set holds the IPs counted here. */
  hairpin: Map<string, number>;
  /** "namespace/name" of each Service -> the rules of its ports. */
  byService: Map<string, ServicePortRules[]>;
  /** Endpoint counts whose shared chain and slot map exist (never removed while the table lives). */
  slotSizes: Set<number>;
  /** Set by updateProxyState: the only port keys that can differ from the state it started from. */
  touched?: { from: ProxyState; keys: string[] };
}

/** One Service whose object or slices changed; `svc` undefined when it is gone. */
export interface ServiceChange {
  svc?: ServiceJSON;
  slices: EndpointSliceJSON[];
}

interface Memo {
  nodeKey: string;
  slices: EndpointSliceJSON[];
  ports: ServicePortRules[];
}

// Informers hand out the same object until it changes, so a Service whose object and slices are
// the very same as last time has the very same rules: no hashing, no string building.
const memo = new WeakMap<ServiceJSON, Memo>();

function rulesOf(svc: ServiceJSON, slices: EndpointSliceJSON[], node: NodeFacts, nodeKey: string): ServicePortRules[] {
  let m = memo.get(svc);
  if (!m || m.nodeKey !== nodeKey || !sameList(m.slices, slices)) {
    m = { nodeKey, slices, ports: servicePortsOf(svc, slices, node).map((sp) => servicePortRules(sp, node)) };
    memo.set(svc, m);
  }
  return m.ports;
}

function count(hairpin: Map<string, number>, rules: ServicePortRules[], delta: 1 | -1): void {
  for (const r of rules) {
    for (const ip of r.hairpin) {
      const n = (hairpin.get(ip) ?? 0) + delta;
      if (n > 0) hairpin.set(ip, n);
      else hairpin.delete(ip);
    }
  }
}

function sameList<T>(a: T[], b: T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function nodeKeyOf(node: NodeFacts): string {
  return JSON.stringify([node.nodeName, [...node.nodeIPs].sort(), node.clusterCIDR ?? '']);
}

export function buildProxyState(services: ServiceJSON[], slices: EndpointSliceJSON[], node: NodeFacts): ProxyState {
  const nodeKey = nodeKeyOf(node);
  const slicesOf = slicesByService(slices);
  const ports = new Map<string, ServicePortRules>();
  const hairpin = new Map<string, number>();
  const byService = new Map<string, ServicePortRules[]>();
  const slotSizes = new Set<number>();
  for (const svc of services) {
    const key = serviceKey(svc);
    const rules = rulesOf(svc, slicesOf.get(key) ?? [], node, nodeKey);
    byService.set(key, rules);
    for (const r of rules) {
      ports.set(r.key, r);
      if (r.slots) slotSizes.add(r.slots);
    }
    count(hairpin, rules, 1);
  }
  return { nodeKey, node, ports, hairpin, byService, slotSizes };
}

/**
 * The state after some Services changed, from the state before: only the changed Services' rules
 * are computed, so the cost follows the size of the change (plus copying three maps), not the
 * number of Services. Node facts must be the same as prev's (a change there needs a full build).
 */
export function updateProxyState(prev: ProxyState, changes: Map<string, ServiceChange>): ProxyState {
  const ports = new Map(prev.ports);
  const hairpin = new Map(prev.hairpin);
  const byService = new Map(prev.byService);
  const slotSizes = new Set(prev.slotSizes);
  const keys: string[] = [];
  for (const [key, change] of changes) {
    const before = byService.get(key) ?? [];
    const after = change.svc ? rulesOf(change.svc, change.slices, prev.node, prev.nodeKey) : [];
    if (sameList(before, after)) continue;
    for (const r of before) {
      ports.delete(r.key);
      keys.push(r.key);
    }
    for (const r of after) {
      ports.set(r.key, r);
      keys.push(r.key);
      if (r.slots) slotSizes.add(r.slots);
    }
    count(hairpin, before, -1);
    count(hairpin, after, 1);
    if (change.svc) byService.set(key, after);
    else byService.delete(key);
  }
  return { nodeKey: prev.nodeKey, node: prev.node, ports, hairpin, byService, slotSizes, touched: { from: prev, keys } };
}

function servicePortRules(sp: ServicePort, node: NodeFacts): ServicePortRules {
  const proto = sp.name.protocol;
  const base = servicePortChainBase(sp.name);
  const clusterChain = chainPrefix.cluster + base;
  const localChain = chainPrefix.local + base;
  const externalChain = chainPrefix.external + base;
  const eps = categorizeEndpoints(sp);
  const chains = new Map<string, string[]>();
  const elements: MapElement[] = [];
  const sets: AffinitySet[] = [];
  const epChain = (address: string) => chainPrefix.endpoint + endpointChainBase(sp.name, address);
  const affinitySet = (address: string) => chainPrefix.affinity + endpointChainBase(sp.name, address);

  const internalChain = sp.internalPolicyLocal ? localChain : clusterChain;
  const hasInternal = eps.hasEndpoints && (!sp.internalPolicyLocal || eps.local.length > 0);
  const externalPolicyChain = sp.externalPolicyLocal ? localChain : clusterChain;
  const hasExternal = eps.hasEndpoints && (!sp.externalPolicyLocal || eps.local.length > 0);
  const usesExternalChain = eps.hasEndpoints && externallyAccessible(sp);
  // No endpoints at all: reject, so clients fail at once. Endpoints only elsewhere with a Local
  // policy: drop, as upstream does.
  const internalFilter = eps.hasEndpoints ? 'drop' : `goto ${REJECT_CHAIN}`;
  const externalFilter = internalFilter;
  const k = (ip: string, port: number) => `${ip} . ${proto} . ${port}`;

  const affinity = sp.affinitySeconds > 0;
  // A plain ClusterIP port (no affinity, no external frontends) needs no chain of its own: its
  // endpoints fill slots 0..n-1 of the shared map for n endpoints, and a change of endpoints is
  // a change of map elements only. nft re-reads every rule of the ruleset before it accepts a
  // rule that NATs or jumps, so keeping rules out of the per-service path is what keeps one
  // change cheap with thousands of Services.
  const internalEndpoints = sp.internalPolicyLocal ? eps.local : eps.cluster;
  const slots = !affinity && !externallyAccessible(sp) && hasInternal ? internalEndpoints.length : 0;
  if (slots > 0) {
    elements.push({ map: SERVICE_IPS, key: k(sp.clusterIP, sp.port), value: `goto ${slotsChain(slots)}` });
    internalEndpoints.forEach((e, i) => elements.push({ map: slotsMap(slots), key: `${k(sp.clusterIP, sp.port)} . ${i}`, value: `${e.ip} . ${e.port}` }));
  } else if (hasInternal) elements.push({ map: SERVICE_IPS, key: k(sp.clusterIP, sp.port), value: `goto ${internalChain}` });
  // Clients outside the pod network (e.g. the node itself) must see replies come back via this
  // node: one rule for every ClusterIP, matched by this set, instead of a rule per service.
  if (hasInternal && node.clusterCIDR) elements.push({ map: CLUSTER_IPS, key: k(sp.clusterIP, sp.port), value: '' });
  if (!hasInternal) elements.push({ map: NO_ENDPOINT_SERVICES, key: k(sp.clusterIP, sp.port), value: internalFilter });
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    if (eps.hasEndpoints) elements.push({ map: SERVICE_IPS, key: k(ip, sp.port), value: `goto ${externalChain}` });
    if (!hasExternal) elements.push({ map: NO_ENDPOINT_SERVICES, key: k(ip, sp.port), value: externalFilter });
  }
  if (sp.nodePort !== 0) {
    if (eps.hasEndpoints) elements.push({ map: SERVICE_NODEPORTS, key: `${proto} . ${sp.nodePort}`, value: `goto ${externalChain}` });
    if (!hasExternal) elements.push({ map: NO_ENDPOINT_NODEPORTS, key: `${proto} . ${sp.nodePort}`, value: externalFilter });
  }

  const serviceChainRules = (endpoints: typeof eps.cluster): string[] => {
    const rules: string[] = [];
    if (affinity) for (const e of endpoints) rules.push(`ip saddr @${affinitySet(e.address)} goto ${epChain(e.address)}`);
    // Rule i takes 1/(n-i) of what reaches it, so every endpoint gets 1/n.
    const n = endpoints.length;
    endpoints.forEach((e, i) => {
      const action = affinity ? `goto ${epChain(e.address)}` : `meta l4proto ${proto} dnat to ${e.address}`;
      rules.push(i === n - 1 ? action : `numgen random mod ${n - i} == 0 ${action}`);
    });
    return rules;
  };
  if (slots === 0 && eps.usesClusterChain) chains.set(clusterChain, serviceChainRules(eps.cluster));
  if (slots === 0 && eps.usesLocalChain) chains.set(localChain, serviceChainRules(eps.local));

  if (usesExternalChain) {
    const rules: string[] = [];
    if (!sp.externalPolicyLocal) {
      // Cluster policy: the endpoint may be elsewhere, so replies must come back through us.
      rules.push(`jump ${MARK_MASQ}`);
    } else {
      if (node.clusterCIDR && eps.usesClusterChain) rules.push(`ip saddr ${node.clusterCIDR} goto ${clusterChain} comment "short-circuit pod traffic"`);
      rules.push(`fib saddr type local jump ${MARK_MASQ} comment "masquerade local traffic"`);
      if (eps.usesClusterChain) rules.push(`fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    if (hasExternal) rules.push(`goto ${externalPolicyChain}`);
    chains.set(externalChain, rules);
  }

  if (affinity) {
    for (const e of eps.reachable) {
      sets.push({ name: affinitySet(e.address), timeoutSeconds: sp.affinitySeconds });
      chains.set(epChain(e.address), [`update @${affinitySet(e.address)} { ip saddr }`, `meta l4proto ${proto} dnat to ${e.address}`]);
    }
  }

  return {
    key: sp.key,
    protocol: proto,
    elements,
    chains,
    sets,
    frontends: { ips: [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerIPs], nodePort: sp.nodePort },
    endpoints: eps.reachable.map((e) => e.address),
    hairpin: [...new Set((slots > 0 ? internalEndpoints : eps.reachable).map((e) => e.ip))],
    ...(slots > 0 ? { slots } : {}),
  };
}

/** The shared chain and slot map for ClusterIP frontends with n endpoints. */
function slotsScript(n: number): string[] {
  const key = `ip daddr . meta l4proto . th dport . numgen random mod ${n}`;
  return [
    `add map ${T} ${slotsMap(n)} { typeof ${key} : ip daddr . th dport ; comment "endpoints by slot, for ClusterIPs with ${n}" ; }`,
    `add chain ${T} ${slotsChain(n)}`,
    ...['tcp', 'udp', 'sctp'].map((p) => `add rule ${T} ${slotsChain(n)} meta l4proto ${p} dnat ip to ${key} map @${slotsMap(n)}`),
  ];
}

function baseScript(node: NodeFacts): string[] {
  const l: string[] = [];
  l.push(`add table ${T} { comment "rules for skiff's service proxy" ; }`);
  const base: [string, string, string, string][] = [
    // The filter chains look at the pre-DNAT destination, so they run just before DNAT (-100).
    // Numbers, not dstnat/srcnat: nft 1.0.6 accepts those names only on some hooks.
    ['filter-input', 'filter', 'input', '-110'],
    ['filter-forward', 'filter', 'forward', '-110'],
    ['filter-output', 'filter', 'output', '-110'],
    ['nat-prerouting', 'nat', 'prerouting', '-100'],
    ['nat-output', 'nat', 'output', '-100'],
    ['nat-postrouting', 'nat', 'postrouting', '100'],
  ];
  for (const [name, type, hook, prio] of base) l.push(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${prio} ; }`);
  for (const c of [ENDPOINTS_CHECK, SERVICES, MASQUERADING, MARK_MASQ, REJECT_CHAIN]) l.push(`add chain ${T} ${c}`);
  for (const c of ['filter-input', 'filter-forward', 'filter-output']) l.push(`add rule ${T} ${c} ct state new jump ${ENDPOINTS_CHECK}`);
  l.push(`add rule ${T} nat-prerouting jump ${SERVICES}`);
  l.push(`add rule ${T} nat-output jump ${SERVICES}`);
  l.push(`add set ${T} ${HAIRPIN} { type ipv4_addr . ipv4_addr ; comment "endpoint . itself: a pod reaching itself through a service" ; }`);
  // After DNAT a hairpin connection has the same source and destination; replies must come back
  // through the bridge, not stay inside the pod.
  l.push(`add rule ${T} nat-postrouting ip saddr . ip daddr @${HAIRPIN} jump ${MARK_MASQ}`);
  l.push(`add rule ${T} nat-postrouting jump ${MASQUERADING}`);
  l.push(`add rule ${T} ${MARK_MASQ} mark set mark or ${MASQUERADE_MARK}`);
  l.push(`add rule ${T} ${MASQUERADING} mark and ${MASQUERADE_MARK} == 0 return`);
  l.push(`add rule ${T} ${MASQUERADING} mark set mark xor ${MASQUERADE_MARK}`);
  l.push(`add rule ${T} ${MASQUERADING} masquerade fully-random`);
  l.push(`add rule ${T} ${REJECT_CHAIN} reject`);

  l.push(`add set ${T} ${NODEPORT_IPS} { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`);
  const ips = node.nodeIPs.filter((ip) => !ip.startsWith('127.'));
  if (ips.length > 0) l.push(`add element ${T} ${NODEPORT_IPS} { ${ips.join(', ')} }`);
  l.push(`add map ${T} ${NO_ENDPOINT_SERVICES} { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  l.push(`add map ${T} ${NO_ENDPOINT_NODEPORTS} { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  l.push(`add map ${T} ${SERVICE_IPS} { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  l.push(`add map ${T} ${SERVICE_NODEPORTS} { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  // Connections the mesh captured (node/mesh) go to the node's ztunnel, which answers for a
  // Service without endpoints itself (Envoy's 503 no healthy upstream), as a sidecar would.
  l.push(`add rule ${T} ${ENDPOINTS_CHECK} meta mark & ${MESH_MARK} == ${MESH_MARK} return`);
  l.push(`add rule ${T} ${ENDPOINTS_CHECK} ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`);
  l.push(`add rule ${T} ${ENDPOINTS_CHECK} ip daddr @${NODEPORT_IPS} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`);
  if (node.clusterCIDR) {
    l.push(`add set ${T} ${CLUSTER_IPS} { type ipv4_addr . inet_proto . inet_service ; comment "ClusterIP frontends, masqueraded for clients outside the pod network" ; }`);
    l.push(`add rule ${T} ${SERVICES} ip saddr != ${node.clusterCIDR} ip daddr . meta l4proto . th dport @${CLUSTER_IPS} jump ${MARK_MASQ}`);
  }
  l.push(`add rule ${T} ${SERVICES} ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`);
  l.push(`add rule ${T} ${SERVICES} ip daddr @${NODEPORT_IPS} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`);
  return l;
}

const hairpinLine = (verb: 'add' | 'delete', ips: string[]) => `${verb} element ${T} ${HAIRPIN} { ${ips.map((ip) => `${ip} . ${ip}`).join(', ')} }`;
const setLine = (s: AffinitySet) => `add set ${T} ${s.name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${s.timeoutSeconds}s ; }`;
const elementLine = (verb: 'add' | 'delete', e: MapElement) =>
  verb === 'delete' ? `delete element ${T} ${e.map} { ${e.key} }` : `add element ${T} ${e.map} { ${e.key}${e.value ? ` : ${e.value}` : ''} }`;

/**
 * The whole table, replacing whatever is there in one transaction (the table is created, deleted
 * and rebuilt, so stale chains, sets and elements of an earlier agent go away too).
 */
export function fullSyncScript(state: ProxyState): string {
  const l = [`add table ${T}`, `delete table ${T}`, ...baseScript(state.node)];
  const ports = [...state.ports.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const n of [...state.slotSizes].sort((a, b) => a - b)) l.push(...slotsScript(n));
  for (const r of ports) {
    for (const s of r.sets) l.push(setLine(s));
    for (const name of r.chains.keys()) l.push(`add chain ${T} ${name}`);
  }
  for (const r of ports) {
    for (const [name, rules] of r.chains) for (const rule of rules) l.push(`add rule ${T} ${name} ${rule}`);
    for (const e of r.elements) l.push(elementLine('add', e));
  }
  if (state.hairpin.size > 0) l.push(hairpinLine('add', [...state.hairpin.keys()]));
  return l.join('\n') + '\n';
}

function sameRules(a: ServicePortRules | undefined, b: ServicePortRules | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    JSON.stringify([a.elements, [...a.chains], a.sets]) === JSON.stringify([b.elements, [...b.chains], b.sets])
  );
}

/**
 * Only the service ports whose rules differ between prev and next: their map elements are
 * deleted and re-added, their chains flushed and refilled, chains and affinity sets no longer
 * used are deleted. Returns '' when nothing changed. When the node facts changed, the base
 * chains differ and a full sync script is returned instead.
 */
export function incrementalSyncScript(prev: ProxyState, next: ProxyState): string {
  if (prev.nodeKey !== next.nodeKey) return fullSyncScript(next);
  const changed: [ServicePortRules | undefined, ServicePortRules | undefined][] = [];
  const keys = next.touched?.from === prev ? next.touched.keys : [...prev.ports.keys(), ...next.ports.keys()];
  for (const key of new Set(keys)) {
    const a = prev.ports.get(key);
    const b = next.ports.get(key);
    if (!sameRules(a, b)) changed.push([a, b]);
  }
  if (changed.length === 0) return '';

  // Only the endpoint IPs of changed ports can enter or leave the hairpin set.
  const hairpinAdd: string[] = [];
  const hairpinDel: string[] = [];
  const touched = new Set<string>();
  for (const [a, b] of changed) for (const ip of [...(a?.hairpin ?? []), ...(b?.hairpin ?? [])]) touched.add(ip);
  for (const ip of touched) {
    const was = prev.hairpin.has(ip);
    const is = next.hairpin.has(ip);
    if (was && !is) hairpinDel.push(ip);
    if (is && !was) hairpinAdd.push(ip);
  }

  const delElems: string[] = [];
  const addElems: string[] = [];
  const flush: string[] = [];
  const addSets: string[] = [];
  const addChains: string[] = [];
  const rules: string[] = [];
  const delChains: string[] = [];
  const delSets: string[] = [];
  for (const [a, b] of changed) {
    const oldElems = new Map((a?.elements ?? []).map((e) => [`${e.map} ${e.key}`, e]));
    const newElems = new Map((b?.elements ?? []).map((e) => [`${e.map} ${e.key}`, e]));
    for (const [id, e] of oldElems) if (newElems.get(id)?.value !== e.value) delElems.push(elementLine('delete', e));
    for (const [id, e] of newElems) if (oldElems.get(id)?.value !== e.value) addElems.push(elementLine('add', e));

    const oldSets = new Map((a?.sets ?? []).map((s) => [s.name, s]));
    const newSets = new Map((b?.sets ?? []).map((s) => [s.name, s]));
    for (const [name, s] of oldSets) if (newSets.get(name)?.timeoutSeconds !== s.timeoutSeconds) delSets.push(`delete set ${T} ${name}`);
    for (const [name, s] of newSets) if (oldSets.get(name)?.timeoutSeconds !== s.timeoutSeconds) addSets.push(setLine(s));

    for (const name of a?.chains.keys() ?? []) {
      flush.push(`flush chain ${T} ${name}`);
      if (!b?.chains.has(name)) delChains.push(`delete chain ${T} ${name}`);
    }
    for (const [name, chainRules] of b?.chains ?? []) {
      if (!a?.chains.has(name)) addChains.push(`add chain ${T} ${name}`);
      for (const rule of chainRules) rules.push(`add rule ${T} ${name} ${rule}`);
    }
  }
  // Order matters inside the transaction: nothing may still reference a chain or set when it is
  // deleted, and a set must exist before a rule updates it. (Kernels before 6.2 notice a map
  // element's reference going away only later; on those the chain deletion can fail with EBUSY,
  // and the caller then falls back to a full sync.)
  for (const n of next.slotSizes) if (!prev.slotSizes.has(n)) addChains.push(...slotsScript(n));
  if (hairpinDel.length) delElems.push(hairpinLine('delete', hairpinDel));
  if (hairpinAdd.length) addElems.push(hairpinLine('add', hairpinAdd));
  return [...delElems, ...flush, ...delSets, ...addSets, ...addChains, ...rules, ...addElems, ...delChains].join('\n') + '\n';
}

export interface StaleUDP {
  /** Remove conntrack entries of UDP flows to this frontend that were NATed to the endpoint. */
  frontendIP?: string;
  nodePort?: number;
  endpointIP?: string;
}

/**
 * UDP has no connection end, so conntrack keeps sending a flow to a removed endpoint (or keeps
 * the verdict of a rejected one) until the entry times out. Lists the entries to delete, as
 * upstream's conntrack cleanup: flows to endpoints that are gone, and all flows to frontends
 * that had no endpoints before.
 */
export function staleUDPEntries(prev: ProxyState, next: ProxyState): StaleUDP[] {
  const out: StaleUDP[] = [];
  const keys = next.touched?.from === prev ? new Set(next.touched.keys) : new Set([...prev.ports.keys(), ...next.ports.keys()]);
  for (const key of keys) {
    const a = prev.ports.get(key);
    const b = next.ports.get(key);
    if (a?.protocol === 'udp') {
      const kept = new Set(b?.endpoints ?? []);
      for (const ep of a.endpoints) {
        if (kept.has(ep)) continue;
        const endpointIP = ep.slice(0, ep.lastIndexOf(':'));
        for (const ip of a.frontends.ips) out.push({ frontendIP: ip, endpointIP });
        if (a.frontends.nodePort) out.push({ nodePort: a.frontends.nodePort, endpointIP });
      }
    }
    if (b?.protocol === 'udp' && b.endpoints.length > 0 && !(a && a.endpoints.length > 0)) {
      for (const ip of b.frontends.ips) out.push({ frontendIP: ip });
      if (b.frontends.nodePort) out.push({ nodePort: b.frontends.nodePort });
    }
  }
  return out;
}

/** Removes the table (agent shutdown for good, or `skiff down` of a node). */
export function deleteTableScript(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}
