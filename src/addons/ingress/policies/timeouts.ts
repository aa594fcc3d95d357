// proxy-connect-timeout, proxy-read-timeout, proxy-send-timeout, proxy-next-upstream*.
//
//   interface ProxyTimeouts {
//     connectMs: number   give up connecting to an endpoint after this (nginx: 504 if no other
//                         endpoint may be tried)
//     readMs: number      longest silence between two reads from the upstream (not the whole
//                         response): then 504 if no byte was sent to the client yet
//     sendMs: number      longest stall between two writes of the request body to the upstream
//     nextUpstream: { onError: boolean; onTimeout: boolean; statuses: number[];
//                     nonIdempotent: boolean; tries: number /* 0 = unlimited */;
//                     timeoutMs: number /* 0 = unlimited */ }
//   }
//   proxyTimeouts(proxy: ProxyAnnotations): ProxyTimeouts
//   mayRetry(t: ProxyTimeouts, failure: 'error' | 'timeout' | number, method: string,
//            attempt: number, startedMs: number, nowMs: number): boolean
//     whether nginx would try another endpoint after `attempt` attempts (1-based) that ended
//     in `failure` (a connect/transport error, a timeout, or an upstream status): only while
//     nothing has been sent to the client, for idempotent methods unless non_idempotent is
//     listed (POST, LOCK, PATCH are not idempotent for nginx).
//
// The request path computes proxyTimeouts once per location (when routes are rebuilt) and
// applies them on each upstream attempt.

import type { ProxyAnnotations } from '../annotations.js';

export interface ProxyTimeouts {
  connectMs: number;
  readMs: number;
  sendMs: number;
  nextUpstream: {
    onError: boolean;
    onTimeout: boolean;
    statuses: number[];
    nonIdempotent: boolean;
    tries: number;
    timeoutMs: number;
  };
}

export function proxyTimeouts(proxy: ProxyAnnotations): ProxyTimeouts {
  const words = new Set(proxy.nextUpstream);
  const off = words.has('off');
  return {
    connectMs: proxy.connectTimeoutSeconds * 1000,
    readMs: proxy.readTimeoutSeconds * 1000,
    sendMs: proxy.sendTimeoutSeconds * 1000,
    nextUpstream: {
      onError: !off && words.has('error'),
      onTimeout: !off && words.has('timeout'),
      statuses: off ? [] : [...words].filter((w) => /^http_\d{3}$/.test(w)).map((w) => Number(w.slice(5))),
      nonIdempotent: !off && words.has('non_idempotent'),
      tries: proxy.nextUpstreamTries,
      timeoutMs: proxy.nextUpstreamTimeoutSeconds * 1000,
    },
  };
}

const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

export function mayRetry(
  t: ProxyTimeouts,
  failure: 'error' | 'timeout' | number,
  method: string,
  attempt: number,
  startedMs: number,
  nowMs: number,
): boolean {
  const n = t.nextUpstream;
  const wanted = failure === 'error' ? n.onError : failure === 'timeout' ? n.onTimeout : n.statuses.includes(failure);
  if (!wanted) return false;
  if (NON_IDEMPOTENT.has(method.toUpperCase()) && !n.nonIdempotent) return false;
  if (n.tries !== 0 && attempt >= n.tries) return false;
  if (n.timeoutMs !== 0 && nowMs - startedMs >= n.timeoutMs) return false;
  return true;
}
