import type { Endpoint } from '../../proxy/endpoints.js';
import type { HashPolicy } from '../config/types.js';
import { queryValue } from './router.js';

// Envoy's ring hash load balancer with the route hash policy pilot writes from
// `consistentHash`: the request's key (a header, a cookie, the client's address or a query
// parameter) is hashed onto a ring on which every host has ringSize/hosts points, and the first
// point at or after it names the host. A cookie that is absent is generated, as Envoy does when
// the policy has a ttl, from the client's address and port, and set on the response. Without a
// key (the header missing, say) the pick is random, as Envoy's ring hash does for an unhashed
// request. Hashes are a 53-bit multiplicative hash, not Envoy's xxHash64: which host a key lands on
// differs from Envoy's, that a key keeps landing on the same host does not.

/** A 53-bit string hash (two multiplicative 32-bit lanes, cyrb53's mixing): fast enough to run per request. */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export interface HashFacts {
  header(name: string): string | undefined;
  query: string;
  remoteAddress: string;
  remotePort: number;
}

export interface RequestHash {
  /** The hash to look up, undefined when the request carries no key. */
  hash?: number;
  /** A Set-Cookie value for the response, when the key was a generated cookie. */
  setCookie?: string;
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    // Cookie names are case-sensitive for Envoy (unlike nginx).
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** Envoy's makeSetCookieValue: `name="value"`, Max-Age when the ttl is not zero (zero: a session cookie), Path, HttpOnly. */
export function setCookieValue(name: string, value: string, ttlMs: number, path: string | undefined): string {
  const maxAge = Math.floor(ttlMs / 1000);
  return `${name}="${value}"${maxAge > 0 ? `; Max-Age=${maxAge}` : ''}${path ? `; Path=${path}` : ''}; HttpOnly`;
}

export function requestHash(policy: HashPolicy, r: HashFacts): RequestHash {
  if ('header' in policy) {
    const v = r.header(policy.header);
    return v === undefined ? {} : { hash: hash53(v) };
  }
  if ('sourceIp' in policy) return { hash: hash53(r.remoteAddress) };
  if ('queryParameter' in policy) {
    const v = queryValue(r.query, policy.queryParameter);
    return v === undefined ? {} : { hash: hash53(v) };
  }
  const { name, path, ttlMs } = policy.cookie;
  const v = cookieOf(r.header('cookie'), name);
  if (v !== undefined) return { hash: hash53(v) };
  if (ttlMs === undefined) return {};
  const value = hash53(`${r.remoteAddress}:${r.remotePort}`).toString(16).padStart(16, '0');
  return { hash: hash53(value), setCookie: setCookieValue(name, value, ttlMs, path) };
}

/** The ring of a set of hosts; built once per set (the set changes with endpoints and ejections). */
export class HashRing {
  private readonly points: number[] = [];
  private readonly hosts: Endpoint[] = [];

  constructor(endpoints: Endpoint[], minimumRingSize: number) {
    if (endpoints.length === 0) return;
    const perHost = Math.ceil(minimumRingSize / endpoints.length);
    const entries: { point: number; host: Endpoint }[] = [];
    for (const e of endpoints) for (let i = 0; i < perHost; i++) entries.push({ point: hash53(`${e.key}_${i}`), host: e });
    entries.sort((a, b) => a.point - b.point);
    for (const x of entries) {
      this.points.push(x.point);
      this.hosts.push(x.host);
    }
  }

  /** The host for a hash; a retry (avoiding `tried`) walks on along the ring to the next host not tried. */
  pick(hash: number, tried: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < n; i++) {
      const host = this.hosts[(lo + i) % n]!;
      if (!tried.has(host.key)) return host;
    }
    return this.hosts[lo % n];
  }
}
