// nft scripts for the `inet skiff-netpol` table: the whole table in one transaction, or only
// what changed between two states (set elements added and removed, changed chains flushed and
// refilled), so a pod coming or going costs a few element updates.
import { MESH_MARK } from '../mesh/rules.js';
import { EGRESS_CHAIN, EGRESS_PODS, INGRESS_CHAIN, INGRESS_PODS, MESH_PROXIES, SELF, TABLE_FAMILY, TABLE_NAME, type NetpolState, type NftSet } from './rules.js';

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

function baseChains(): string[] {
  return [
    `add chain ${T} ${EGRESS_CHAIN} { type filter hook forward priority 0 ; policy accept ; }`,
    `add chain ${T} ${INGRESS_CHAIN} { type filter hook forward priority 1 ; policy accept ; }`,
    `add rule ${T} ${EGRESS_CHAIN} ct state established,related accept`,
    `add rule ${T} ${EGRESS_CHAIN} ip saddr . ip daddr @${SELF} accept`,
    // Captured by the mesh: the ztunnel checks the pod's egress policies (rules.ts).
    `add rule ${T} ${EGRESS_CHAIN} meta mark & ${MESH_MARK} == ${MESH_MARK} accept`,
    `add rule ${T} ${EGRESS_CHAIN} ip saddr vmap @${EGRESS_PODS}`,
    `add rule ${T} ${INGRESS_CHAIN} ct state established,related accept`,
    `add rule ${T} ${INGRESS_CHAIN} ip saddr . ip daddr @${SELF} accept`,
    // A ztunnel's connection or DNS query on a meshed pod's behalf: it checked the destination's ingress policies.
    `add rule ${T} ${INGRESS_CHAIN} ip saddr @${MESH_PROXIES} accept`,
    `add rule ${T} ${INGRESS_CHAIN} ip daddr vmap @${INGRESS_PODS}`,
  ];
}

const setKind = (s: NftSet) => (s.decl.includes(': verdict') ? 'map' : 'set');
const elementsLine = (verb: 'add' | 'delete', name: string, elements: string[]) => `${verb} element ${T} ${name} { ${elements.join(', ')} }`;

/** The whole table, replacing whatever an earlier agent left (create, delete, rebuild: one transaction). */
export function fullSyncScript(state: NetpolState): string {
  const l = [`add table ${T}`, `delete table ${T}`, `add table ${T} { comment "skiff NetworkPolicy enforcement" ; }`];
  // Sets and chains first: rules refer to sets, and rules and map elements to chains.
  for (const [name, s] of state.sets) l.push(`add ${setKind(s)} ${T} ${name} ${s.decl}`);
  for (const name of state.chains.keys()) l.push(`add chain ${T} ${name}`);
  for (const [name, rules] of state.chains) for (const rule of rules) l.push(`add rule ${T} ${name} ${rule}`);
  l.push(...baseChains());
  for (const [name, s] of state.sets) if (s.elements.size > 0) l.push(elementsLine('add', name, [...s.elements.values()]));
  return l.join('\n') + '\n';
}

const sameRules = (a: string[] | undefined, b: string[] | undefined) => !!a && !!b && a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * What turns the table from `prev` into `next`; '' when nothing changed. (Set names say what
 * they hold, so a set never changes type; if one did, the whole table is rebuilt.)
 */
export function incrementalSyncScript(prev: NetpolState, next: NetpolState): string {
  for (const [name, a] of prev.sets) {
    const b = next.sets.get(name);
    if (b && b.decl !== a.decl) return fullSyncScript(next);
  }
  const delElems: string[] = [];
  const addSets: string[] = [];
  const addChains: string[] = [];
  const flush: string[] = [];
  const rules: string[] = [];
  const addElems: string[] = [];
  const delChains: string[] = [];
  const delSets: string[] = [];

  for (const [name, a] of prev.sets) {
    const b = next.sets.get(name);
    if (!b) {
      // The set goes once no rule uses it: its rules are flushed below.
      delSets.push(`delete ${setKind(a)} ${T} ${name}`);
      continue;
    }
    const gone = [...a.elements].filter(([k, e]) => b.elements.get(k) !== e).map(([k]) => k);
    if (gone.length > 0) delElems.push(elementsLine('delete', name, gone));
  }
  for (const [name, b] of next.sets) {
    const a = prev.sets.get(name);
    if (!a) addSets.push(`add ${setKind(b)} ${T} ${name} ${b.decl}`);
    const added = [...b.elements].filter(([k, e]) => a?.elements.get(k) !== e).map(([, e]) => e);
    if (added.length > 0) addElems.push(elementsLine('add', name, added));
  }
  for (const [name, a] of prev.chains) {
    const b = next.chains.get(name);
    if (sameRules(a, b)) continue;
    flush.push(`flush chain ${T} ${name}`);
    if (!b) delChains.push(`delete chain ${T} ${name}`);
  }
  for (const [name, b] of next.chains) {
    const a = prev.chains.get(name);
    if (sameRules(a, b)) continue;
    if (!a) addChains.push(`add chain ${T} ${name}`);
    for (const rule of b) rules.push(`add rule ${T} ${name} ${rule}`);
  }
  // Nothing may still refer to a chain or set when it is deleted, and a set or chain must exist
  // before a rule or map element refers to it.
  const all = [...delElems, ...flush, ...addSets, ...addChains, ...rules, ...addElems, ...delChains, ...delSets];
  return all.length === 0 ? '' : all.join('\n') + '\n';
}

/** Removes the table (the node is going away for good). */
export function deleteTableScript(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}
