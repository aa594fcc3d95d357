import type { CorsPolicy, StringMatch } from '../config/types.js';
import { compileStringMatch } from './router.js';

// Envoy's CORS filter with a route's policy (pilot's translation of `corsPolicy`): a request
// with an Origin the policy allows is a CORS request; an OPTIONS one that also carries
// Access-Control-Request-Method is a preflight the proxy answers itself with 200 and the
// policy's headers; the response to any other CORS request gains the allow-origin,
// allow-credentials and expose-headers headers. An Origin the policy does not allow leaves the
// request alone, and its preflight goes upstream unless the policy says IGNORE (then the proxy
// answers it with the policy's headers but no allow-origin).

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

const NONE: CorsDecision = { kind: 'none' };

export function corsDecision(policy: CorsPolicy | undefined, method: string, header: (name: string) => string | undefined): CorsDecision {
  const origin = header('origin');
  if (!policy || !origin) return NONE;
  const allowed = originAllowed(policy, origin);
  const requested = method === 'OPTIONS' ? header('access-control-request-method') : undefined;
  if (!requested) return allowed ? { kind: 'cors', responseHeaders: responseHeaders(policy, origin) } : NONE;
  if (!allowed && policy.forwardUnmatchedPreflights) return NONE;
  // `*` for methods or headers echoes what the preflight asks for.
  const methods = policy.allowMethods === '*' ? requested : policy.allowMethods;
  const headers = policy.allowHeaders === '*' ? header('access-control-request-headers') : policy.allowHeaders;
  return {
    kind: 'preflight',
    headers: {
      ...(allowed ? { 'access-control-allow-origin': origin } : {}),
      ...(policy.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      ...(methods ? { 'access-control-allow-methods': methods } : {}),
      ...(headers ? { 'access-control-allow-headers': headers } : {}),
      ...(policy.maxAge ? { 'access-control-max-age': policy.maxAge } : {}),
      // The answer passes the filter's response side too, which adds expose-headers for an allowed origin.
      ...(allowed && policy.exposeHeaders ? { 'access-control-expose-headers': policy.exposeHeaders } : {}),
    },
  };
}
