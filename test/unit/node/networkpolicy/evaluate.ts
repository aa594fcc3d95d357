// A small interpreter of the rule shapes the builder writes, so tests can ask "may this new
// connection pass?" of a NetpolState instead of comparing nft text everywhere. It follows nft's
// semantics for them: base chains in priority order, vmap goto, jump/return, accept, drop.
import { parseIPv4 } from '../../../../src/cluster/ipv4.js';
import { EGRESS_PODS, INGRESS_PODS, SELF, type NetpolState } from '../../../../src/node/networkpolicy/rules.js';

export interface Packet {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'sctp' | 'icmp';
  port?: number;
}

function inRange(spec: string, value: number): boolean {
  const [a, b] = spec.split('-');
  const lo = parseIPv4(a) ?? Number(a);
  const hi = b === undefined ? lo : (parseIPv4(b) ?? Number(b));
  return lo <= value && value <= hi;
}

function matchesTuple(element: string, values: (string | number)[]): boolean {
  const parts = element.split(' . ');
  if (parts.length !== values.length) throw new Error(`element ${element} has ${parts.length} fields, packet ${values.length}`);
  return parts.every((p, i) => {
    const v = values[i];
    if (typeof v === 'string' && parseIPv4(v) === undefined) return p === v; // protocol
    return inRange(p, typeof v === 'string' ? parseIPv4(v)! : v);
  });
}

function setHas(state: NetpolState, name: string, values: (string | number)[]): boolean {
  const s = state.sets.get(name);
  if (!s) throw new Error(`rule refers to missing set ${name}`);
  return [...s.elements.keys()].some((e) => matchesTuple(e, values));
}

/** 'accept' | 'drop' | 'continue' (fell off the end of a jumped chain). */
function runChain(state: NetpolState, chain: string, p: Packet, depth = 0): 'accept' | 'drop' | 'continue' {
  if (depth > 5) throw new Error('chain loop');
  const rules = state.chains.get(chain);
  if (!rules) throw new Error(`jump to missing chain ${chain}`);
  for (const rule of rules) {
    if (rule === 'drop') return 'drop';
    let m: RegExpMatchArray | null;
    if ((m = rule.match(/^jump (\S+)$/))) {
      const v = runChain(state, m[1], p, depth + 1);
      if (v !== 'continue') return v;
      continue;
    }
    let rest = rule;
    let ok = true;
    const take = (re: RegExp) => {
      const mm = rest.match(re);
      if (mm) rest = rest.slice(mm[0].length);
      return mm;
    };
    for (;;) {
      if ((m = take(/^ip (saddr|daddr) @(\S+) /))) ok &&= setHas(state, m[2], [m[1] === 'saddr' ? p.src : p.dst]);
      else if ((m = take(/^ip daddr \. meta l4proto \. th dport @(\S+) /))) ok &&= p.port !== undefined && setHas(state, m[1], [p.dst, p.proto, p.port]);
      else if ((m = take(/^meta l4proto \. th dport \{ ([^}]*) \} /))) ok &&= p.port !== undefined && m[1].split(', ').some((e) => matchesTuple(e, [p.proto, p.port!]));
      else break;
    }
    if (rest !== 'accept') throw new Error(`the test interpreter does not know rule: ${rule}`);
    if (ok) return 'accept';
  }
  return 'continue';
}

function vmapTarget(state: NetpolState, map: string, ip: string): string | undefined {
  const e = state.sets.get(map)?.elements.get(ip);
  return e?.match(/: goto (\S+)$/)?.[1];
}

/** Whether the forward hook lets a new connection through. */
export function allowed(state: NetpolState, p: Packet): boolean {
  if (state.sets.get(SELF)?.elements.has(`${p.src} . ${p.dst}`)) return true;
  const egress = vmapTarget(state, EGRESS_PODS, p.src);
  // Falling off the end of a chain reached by goto ends in the base chain's policy: accept.
  if (egress && runChain(state, egress, p) === 'drop') return false;
  const ingress = vmapTarget(state, INGRESS_PODS, p.dst);
  if (ingress && runChain(state, ingress, p) === 'drop') return false;
  return true;
}
