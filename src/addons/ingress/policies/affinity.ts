// Cookie session affinity (`affinity: cookie`), as ingress-nginx's Lua sticky balancers do it.
//
//   interface AffinityRequest {
//     cookieHeader: string | string[] | undefined;   the request's Cookie header(s)
//     https: boolean;                                 the client connection is TLS
//     userAgent: string | undefined;                  for session-cookie-conditional-samesite-none
//     locationPath: string;                           the Ingress path of the chosen location
//   }
//   interface AffinityChoice { endpoint: string | undefined; setCookie: string | undefined }
//   backendKey(backendName: string): string   md5(md5(name) + name), hex, as sticky.lua
//   class CookieAffinity {
//     constructor(config: AffinityAnnotations, backendName: string,
//                 opts?: { random?: (n: number) => number; now?: () => number /* ms */ })
//     readonly backendKey: string
//     setEndpoints(endpoints: readonly string[]): void    "ip:port" of the ready endpoints
//     affinitizedTo(req: Pick<AffinityRequest, 'cookieHeader'>): boolean
//       the request's cookie carries this backend's key (canary "sticky" behaviour)
//     pick(req: AffinityRequest, failed?: ReadonlySet<string>, lastAttemptFailed?: boolean)
//       : AffinityChoice
//       the endpoint the cookie points at while it is still an endpoint; otherwise (or after a
//       failed attempt with session-cookie-change-on-failure) a new one, avoiding `failed`,
//       and the Set-Cookie header value to add to the response.
//   }
//
// backendName is ingress-nginx's upstream name, `<namespace>-<service>-<port>`; one
// CookieAffinity per backend of a location with affinity, kept across endpoint changes
// (setEndpoints) so cookies stay valid. The request path calls pick() instead of its own
// round robin when `config.affinity.type === 'cookie'`, and again with the failed endpoints
// when it retries (proxy-next-upstream).
//
// Cookie value: "<upstream key>|<backend key>". mode balanced: the upstream key is a random
// token placed on a consistent-hash ring of the endpoints, so scaling moves only some
// sessions; mode persistent: the key is md5(backendName + endpoint) and never moves.
// Attributes in lua-resty-cookie's order: Expires, Max-Age, Domain, Path, Secure, HttpOnly,
// SameSite. Path defaults to the location's path (the regex itself for regex paths, which is
// why ingress-nginx asks for session-cookie-path with use-regex); Secure defaults to whether
// the request came over TLS.

import { createHash } from 'node:crypto';
import type { AffinityAnnotations } from '../annotations.js';
import { cookieTime, cookieValue } from './cookies.js';

export interface AffinityRequest {
  cookieHeader: string | string[] | undefined;
  https: boolean;
  userAgent: string | undefined;
  locationPath: string;
}

export interface AffinityChoice {
  endpoint: string | undefined;
  setCookie: string | undefined;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function backendKey(backendName: string): string {
  return md5(md5(backendName) + backendName);
}

// Points per endpoint on the ring, as resty.chash gives each node of weight 1.
const RING_POINTS = 160;
const MAX_UPSTREAM_CHECKS = 20;

export class CookieAffinity {
  readonly backendKey: string;
  private endpoints: string[] = [];
  private ring: { hash: number; endpoint: string }[] = [];
  private persistentKeys = new Map<string, string>();
  private readonly random: (n: number) => number;
  private readonly now: () => number;

  constructor(
    private readonly config: AffinityAnnotations,
    private readonly backendName: string,
    opts: { random?: (n: number) => number; now?: () => number } = {},
  ) {
    this.backendKey = backendKey(backendName);
    this.random = opts.random ?? ((n) => 1 + Math.floor(Math.random() * n));
    this.now = opts.now ?? Date.now;
  }

  setEndpoints(endpoints: readonly string[]): void {
    const sorted = [...new Set(endpoints)].sort();
    if (sorted.length === this.endpoints.length && sorted.every((e, i) => e === this.endpoints[i])) return;
    this.endpoints = sorted;
    if (this.config.mode === 'persistent') {
      this.persistentKeys = new Map(sorted.map((e) => [md5(this.backendName + e), e]));
    } else {
      const ring: { hash: number; endpoint: string }[] = [];
      for (const e of sorted) {
        for (let i = 0; i < RING_POINTS; i++) ring.push({ hash: hash32(`${e}#${i}`), endpoint: e });
      }
      ring.sort((a, b) => a.hash - b.hash);
      this.ring = ring;
    }
  }

  affinitizedTo(req: Pick<AffinityRequest, 'cookieHeader'>): boolean {
    return this.parseCookie(req.cookieHeader).backend === this.backendKey;
  }

  pick(req: AffinityRequest, failed: ReadonlySet<string> = new Set(), lastAttemptFailed = false): AffinityChoice {
    const { upstream } = this.parseCookie(req.cookieHeader);
    const fromCookie = upstream === undefined ? undefined : this.find(upstream);
    const pickNew = fromCookie === undefined || (lastAttemptFailed && this.config.changeOnFailure);
    if (!pickNew) return { endpoint: fromCookie, setCookie: undefined };
    const fresh = this.pickNew(failed);
    if (!fresh) return { endpoint: undefined, setCookie: undefined };
    return { endpoint: fresh.endpoint, setCookie: this.cookie(fresh.key, req) };
  }

  private find(key: string): string | undefined {
    if (this.config.mode === 'persistent') return this.persistentKeys.get(key);
    if (this.ring.length === 0) return undefined;
    const h = hash32(key);
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.hash < h) lo = mid + 1;
      else hi = mid;
    }
    return this.ring[lo === this.ring.length ? 0 : lo]!.endpoint;
  }

  private pickNew(failed: ReadonlySet<string>): { endpoint: string; key: string } | undefined {
    if (this.config.mode === 'persistent') {
      const candidates = [...this.persistentKeys].filter(([, e]) => !failed.has(e));
      if (candidates.length === 0) return undefined;
      const [key, endpoint] = candidates[this.random(candidates.length) - 1]!;
      return { endpoint, key };
    }
    for (let i = 1; i <= MAX_UPSTREAM_CHECKS; i++) {
      const key = `${(this.now() / 1000 + i).toFixed(3)}.${process.pid}.${this.random(999999)}`;
      const endpoint = this.find(key);
      if (endpoint !== undefined && !failed.has(endpoint)) return { endpoint, key };
    }
    return undefined;
  }

  private parseCookie(header: string | string[] | undefined): { upstream?: string; backend?: string } {
    const raw = cookieValue(header, this.config.cookieName);
    if (raw === undefined || raw === '') return {};
    const bar = raw.indexOf('|');
    return bar < 0 ? { upstream: raw } : { upstream: raw.slice(0, bar), backend: raw.slice(bar + 1) };
  }

  private cookie(key: string, req: AffinityRequest): string {
    const c = this.config;
    let sameSite: string = c.cookieSameSite;
    if (sameSite === 'None' && c.cookieConditionalSameSiteNone && !sameSiteNoneCompatible(req.userAgent)) sameSite = '';
    const secure = c.cookieSecure ?? req.https;
    let s = `${c.cookieName}=${key}|${this.backendKey}`;
    if (c.cookieExpires !== '') s += `; Expires=${cookieTime(Math.floor(this.now() / 1000) + Number(c.cookieExpires))}`;
    if (c.cookieMaxAge !== '') s += `; Max-Age=${c.cookieMaxAge}`;
    if (c.cookieDomain !== '') s += `; Domain=${c.cookieDomain}`;
    s += `; Path=${c.cookiePath !== '' ? c.cookiePath : req.locationPath}`;
    if (secure) s += '; Secure';
    s += '; HttpOnly';
    if (sameSite !== '') s += `; SameSite=${sameSite}`;
    return s;
  }
}

// The user agents util/same_site.lua lists as mishandling SameSite=None (Chrome 51-66,
// iOS 12 WebKit, macOS 10.14 Safari and embedded browsers, UC Browser before 12.13.2).
function sameSiteNoneCompatible(userAgent: string | undefined): boolean {
  if (!userAgent) return true;
  if (/Chrom[^ /]+\/(5[1-9]|6[0-6])[.\d]* /.test(userAgent)) return false;
  if (/\(iP.+; CPU .*OS 12[_\d]*.*\) AppleWebKit\//.test(userAgent)) return false;
  if (/\(Macintosh;.*Mac OS X 10_14[_\d]*.*\) AppleWebKit\//.test(userAgent) &&
      (/Version\/.* Safari\//.test(userAgent) || /AppleWebKit\/[.\d]+ \(KHTML, like Gecko\)$/.test(userAgent))) return false;
  if (/UCBrowser\/(\d+)\.(\d+)\.(\d+)/.test(userAgent)) {
    const [, a, b, c] = /UCBrowser\/(\d+)\.(\d+)\.(\d+)/.exec(userAgent)!;
    const v = [Number(a), Number(b), Number(c)];
    if (v[0]! < 12 || (v[0] === 12 && (v[1]! < 13 || (v[1] === 13 && v[2]! < 2)))) return false;
  }
  return true;
}

function hash32(s: string): number {
  return createHash('md5').update(s).digest().readUInt32BE(0);
}
