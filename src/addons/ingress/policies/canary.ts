// Canary choice, as ingress-nginx's balancer.lua route_to_alternative_balancer decides it.
//
//   interface CanaryRequest {
//     header(name: string): string | undefined   first value of a request header, any case
//     cookie(name: string): string | undefined   value of a request cookie
//   }
//   routeToCanary(canary: CanaryAnnotations, req: CanaryRequest,
//                 random: (n: number) => number = randomInt1): boolean
//     true when the request goes to the canary Ingress's backend instead of the primary's.
//     `canary` is the config of the canary Ingress (canary: "true") that shares host and path
//     with the primary. Precedence: header, then cookie, then weight.
//       header present and canary-by-header-value set: equal → canary, otherwise fall through;
//       else header-pattern set: regex match → canary, otherwise fall through;
//       else "always" → canary, "never" → primary, anything else falls through;
//       cookie "always" → canary, "never" → primary, anything else falls through;
//       weight: random(total) <= canary-weight, with total = canary-weight-total only when it
//       is above 100 (the Lua code ignores smaller totals; kept as ingress-nginx does).
//     `random(n)` returns an integer in [1, n] (Lua's math.random(n)); inject one in tests.
//   randomInt1(n: number): number   the default source.
//
// Session affinity comes first in ingress-nginx (affinity-canary-behavior "sticky"): when the
// primary backend has cookie affinity and the request's affinity cookie names the primary's
// backend key, the request stays on the primary; when it names the canary's, it goes there.
// The request path asks CookieAffinity.affinitizedTo() (policies/affinity.ts) for that before
// calling routeToCanary. The choice is made once per request, before balancing.

import type { CanaryAnnotations } from '../annotations.js';
import { compilePcre } from './regex.js';

export interface CanaryRequest {
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
}

export function randomInt1(n: number): number {
  return 1 + Math.floor(Math.random() * n);
}

const patternCache = new Map<string, RegExp | null>();

export function routeToCanary(
  canary: CanaryAnnotations,
  req: CanaryRequest,
  random: (n: number) => number = randomInt1,
): boolean {
  if (canary.header !== '') {
    const value = req.header(canary.header);
    if (value !== undefined) {
      if (canary.headerValue !== '') {
        if (value === canary.headerValue) return true;
      } else if (canary.headerPattern !== '') {
        const re = compilePattern(canary.headerPattern);
        if (re === null) return false;
        if (re.test(value)) return true;
      } else if (value === 'always') {
        return true;
      } else if (value === 'never') {
        return false;
      }
    }
  }
  if (canary.cookie !== '') {
    const value = req.cookie(canary.cookie);
    if (value === 'always') return true;
    if (value === 'never') return false;
  }
  const total = canary.weightTotal > 100 ? canary.weightTotal : 100;
  return random(total) <= canary.weight;
}

// ngx.re.match is an unanchored PCRE search; an invalid pattern is an error that keeps the
// primary (the Lua code logs and returns false).
function compilePattern(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = compilePcre(pattern);
    } catch {
      re = null;
    }
    patternCache.set(pattern, re);
  }
  return re;
}
