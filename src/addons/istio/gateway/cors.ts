import type { CorsPolicy, StringMatch } from '../config/types.js';
import { compileStringMatch } from './router.js';

// Envoy's CORS filter with a route's policy (pilot's translation of `corsPolicy`): a request
// with an Origin the policy allows is a CORS request; an OPTIONS one that also carries
// Access-Control-Request-Method is a preflight the proxy answers itself with 200 and the
// policy's headers; the response to any other CORS request gains the allow-origin,
// allow-credentials and expose-headers headers. An Origin the policy does not allow leaves the
// request alone, and its preflight goes upstream unless the policy says IGNORE.

const tests = new WeakMap<StringMatch, (v: string) => boolean>();

function matches(m: StringMatch, origin: string): boolean {
  let t = tests.get(m);
  if (!t) {
    t = compileStringMatch(m);
    tests.set(m, t);
  }
  return t(origin);
}

/** Envoy's isOriginAllowed: a matcher that admits `*` admits every origin. */
export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.allowOrigins.some((m) => matches(m, '*') || matches(m, origin));
}

export type CorsDecision =
  /** Not a CORS request (or an origin not allowed): nothing to add. */
  | { kind: 'none' }
  /** A CORS request that goes upstream; these response headers are added. */
  | { kind: 'cors'; responseHeaders: Record<string, string> }
  /** A preflight the proxy answers with 200 and these headers. */
  | { kind: 'preflight'; headers: Record<string, string> };

function responseHeaders(policy: CorsPolicy, origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    ...(policy.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    ...(policy.exposeHeaders ? { 'access-control-expose-headers': policy.exposeHeaders } : {}),
  };
}

export function corsDecision(policy: CorsPolicy | undefined, method: string, header: (name: string) => string | undefined): CorsDecision {
  const origin = header('origin');
  if (!policy || !origin) return { kind: 'none' };
  const allowed = originAllowed(policy, origin);
  const preflight = method === 'OPTIONS' && !!header('access-control-request-method');
  if (!allowed) return preflight && !policy.forwardUnmatchedPreflights ? { kind: 'preflight', headers: {} } : { kind: 'none' };
  if (!preflight) return { kind: 'cors', responseHeaders: responseHeaders(policy, origin) };
  // The preflight's own answer passes the filter's response side too, which adds expose-headers.
  return {
    kind: 'preflight',
    headers: {
      'access-control-allow-origin': origin,
      ...(policy.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      ...(policy.allowMethods ? { 'access-control-allow-methods': policy.allowMethods } : {}),
      ...(policy.allowHeaders ? { 'access-control-allow-headers': policy.allowHeaders } : {}),
      ...(policy.maxAge ? { 'access-control-max-age': policy.maxAge } : {}),
      ...(policy.exposeHeaders ? { 'access-control-expose-headers': policy.exposeHeaders } : {}),
    },
  };
}
