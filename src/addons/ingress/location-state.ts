import type { IngressAnnotations } from './annotations.js';
import { CookieAffinity } from './policies/affinity.js';
import { backendTransport, type BackendTransport } from './policies/backend-protocol.js';
import { RateLimiter } from './policies/rate-limit.js';
import { proxyTimeouts, type ProxyTimeouts } from './policies/timeouts.js';
import type { Location, Upstream } from './routes.js';

// What the request path needs per location beyond the route table: the derived proxy settings
// and the stateful policies (rate limiter, cookie affinity). Derived settings are cached per
// Location object (a table rebuild makes new ones); the stateful parts are kept by a stable
// key as long as their configuration is the same, so rebuilding the table for an unrelated
// change neither resets a rate limit nor invalidates affinity cookies.

export interface LocationRuntime {
  timeouts: ProxyTimeouts;
  transport: BackendTransport;
  limiter?: RateLimiter;
  affinity?: CookieAffinity;
  canaryAffinity?: CookieAffinity;
}

function signature(value: unknown): string {
  return JSON.stringify(value);
}

export class LocationStates {
  private readonly derived = new WeakMap<Location, LocationRuntime>();
  private readonly limiters = new Map<string, { sig: string; limiter: RateLimiter; used: boolean }>();
  private readonly affinities = new Map<string, { sig: string; affinity: CookieAffinity; used: boolean }>();

  get(location: Location, serverName: string): LocationRuntime {
    let rt = this.derived.get(location);
    if (rt) return rt;
    const cfg = location.config;
    rt = { timeouts: proxyTimeouts(cfg.proxy), transport: backendTransport(cfg) };
    const locKey = `${serverName}|${location.ingress?.namespace}/${location.ingress?.name}|${location.ingressPath}|${location.pathType}`;
    const limits = cfg.rateLimit;
    if (limits.connections > 0 || limits.rps > 0 || limits.rpm > 0) rt.limiter = this.limiter(locKey, cfg);
    if (location.upstream) rt.affinity = this.affinity(location.upstream, cfg);
    if (location.canary) rt.canaryAffinity = this.affinity(location.canary.upstream, location.canary.config);
    this.derived.set(location, rt);
    return rt;
  }

  private limiter(key: string, cfg: IngressAnnotations): RateLimiter {
    const sig = signature(cfg.rateLimit);
    const known = this.limiters.get(key);
    if (known && known.sig === sig) {
      known.used = true;
      return known.limiter;
    }
    const limiter = new RateLimiter(cfg.rateLimit);
    this.limiters.set(key, { sig, limiter, used: true });
    return limiter;
  }

  private affinity(upstream: Upstream, cfg: IngressAnnotations): CookieAffinity | undefined {
    if (cfg.affinity.type !== 'cookie') return undefined;
    const sig = signature(cfg.affinity);
    const key = upstream.name;
    let known = this.affinities.get(key);
    if (!known || known.sig !== sig) {
      known = { sig, affinity: new CookieAffinity(cfg.affinity, upstream.name), used: true };
      this.affinities.set(key, known);
    }
    known.used = true;
    known.affinity.setEndpoints(upstream.endpoints.map((e) => e.key));
    return known.affinity;
  }

  /** After a table swap: forget stateful policies no location uses any more, sweep limiters. */
  retainUsed(locations: Iterable<{ location: Location; server: string }>): void {
    for (const v of this.limiters.values()) v.used = false;
    for (const v of this.affinities.values()) v.used = false;
    for (const { location, server } of locations) this.get(location, server);
    for (const [k, v] of this.limiters) if (!v.used) this.limiters.delete(k);
    else v.limiter.sweep();
    for (const [k, v] of this.affinities) if (!v.used) this.affinities.delete(k);
  }
}
