// Per-client-IP limits: limit-connections, limit-rpm, limit-rps, limit-whitelist.
//
//   class RateLimiter {
//     constructor(limits: RateLimitAnnotations, now?: () => number /* ms, monotonic */)
//     acquire(clientIp: string): RateLimitDecision
//       call once per request, after the redirects and CORS preflight, before source ranges
//       and the proxy (policies/index.ts). When `allowed`, call `release()` exactly once when the request has finished
//       (response ended or connection closed) so limit-connections counts requests in flight.
//       When not allowed, answer `response` (503 by default) and do not call release.
//     sweep(): void   forget idle clients; the controller may call it now and then.
//   }
//   type RateLimitDecision =
//     | { allowed: true; release: () => void }
//     | { allowed: false; response: PolicyResponse; reason: 'limit-connections' | 'limit-rpm' | 'limit-rps' }
//
// One RateLimiter per Ingress location with limits (ingress-nginx gives each its own zones),
// kept while the limits stay the same, so a reload of unrelated objects does not reset them.
// Semantics are nginx's: limit_conn counts concurrent requests per address; limit_req is a
// leaky bucket with `burst = limit × limit-burst-multiplier` and `nodelay` (ingress-nginx's
// configuration), so up to 1 + burst requests pass at once and the bucket drains at the rate;
// a rejected request fills no bucket (nginx checks every zone before accounting in any).
// Checked in ingress-nginx's documented order: connections, rpm, rps. Clients in
// limit-whitelist are never limited (their zone key is empty).

import type { RateLimitAnnotations } from '../annotations.js';
import { ipInCidrs } from './cidr.js';
import { nginxPage, type PolicyResponse } from './responses.js';

export type RateLimitDecision =
  | { allowed: true; release: () => void }
  | { allowed: false; response: PolicyResponse; reason: 'limit-connections' | 'limit-rpm' | 'limit-rps' };

interface Bucket {
  /** Excess in milli-requests, as nginx keeps it. */
  excess: number;
  last: number;
}

/** nginx's limit_req for one zone: rate in requests per second, burst in requests. */
class LeakyBucket {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly ratePerSecond: number, private readonly burst: number) {}

  /** The bucket's excess after this request, or undefined when it would overflow. */
  check(key: string, now: number): number | undefined {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const elapsed = Math.max(0, now - b.last);
    const excess = Math.max(0, b.excess - this.ratePerSecond * elapsed + 1000);
    return excess > this.burst * 1000 ? undefined : excess;
  }

  commit(key: string, excess: number, now: number): void {
    const b = this.buckets.get(key);
    if (b) {
      b.excess = excess;
      b.last = now;
    } else {
      this.buckets.set(key, { excess, last: now });
    }
  }

  sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.excess - this.ratePerSecond * (now - b.last) <= 0) this.buckets.delete(key);
    }
  }
}

const ALLOWED_NOOP: RateLimitDecision = { allowed: true, release: () => {} };

export class RateLimiter {
  private readonly rpm: LeakyBucket | undefined;
  private readonly rps: LeakyBucket | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly limits: RateLimitAnnotations, private readonly now: () => number = monotonicMs) {
    const m = limits.burstMultiplier;
    this.rpm = limits.rpm > 0 ? new LeakyBucket(limits.rpm / 60, limits.rpm * m) : undefined;
    this.rps = limits.rps > 0 ? new LeakyBucket(limits.rps, limits.rps * m) : undefined;
  }

  /** True when this limiter limits anything; the request path may skip it otherwise. */
  get active(): boolean {
    return this.limits.connections > 0 || this.rpm !== undefined || this.rps !== undefined;
  }

  acquire(clientIp: string): RateLimitDecision {
    if (!this.active || ipInCidrs(clientIp, this.limits.whitelist)) return ALLOWED_NOOP;
    const now = this.now();
    const conns = this.limits.connections;
    if (conns > 0 && (this.inFlight.get(clientIp) ?? 0) >= conns) {
      return { allowed: false, response: nginxPage(this.limits.connStatusCode), reason: 'limit-connections' };
    }
    // nginx checks every limit_req zone before accounting the request in any of them.
    const rpmExcess = this.rpm?.check(clientIp, now);
    if (this.rpm && rpmExcess === undefined) {
      return { allowed: false, response: nginxPage(this.limits.reqStatusCode), reason: 'limit-rpm' };
    }
    const rpsExcess = this.rps?.check(clientIp, now);
    if (this.rps && rpsExcess === undefined) {
      return { allowed: false, response: nginxPage(this.limits.reqStatusCode), reason: 'limit-rps' };
    }
    if (rpmExcess !== undefined) this.rpm!.commit(clientIp, rpmExcess, now);
    if (rpsExcess !== undefined) this.rps!.commit(clientIp, rpsExcess, now);
    if (conns === 0) return ALLOWED_NOOP;
    this.inFlight.set(clientIp, (this.inFlight.get(clientIp) ?? 0) + 1);
    let released = false;
    return {
      allowed: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.inFlight.get(clientIp) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(clientIp);
        else this.inFlight.set(clientIp, n);
      },
    };
  }

  sweep(): void {
    const now = this.now();
    this.rpm?.sweep(now);
    this.rps?.sweep(now);
  }
}

function monotonicMs(): number {
  return performance.now();
}
