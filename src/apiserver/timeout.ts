// The server-side time limit on requests (k8s.io/apiserver's WithTimeoutForNonLongRunningRequests
// and BasicLongRunningRequestCheck): every request but watches and streams must finish within
// --request-timeout, or it is answered 504 Timeout and its connection closed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJSON } from './http.js';
import { errors } from '../api/errors.js';

/** kube-apiserver's --request-timeout default. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Subresources upstream serves as long-running (attach, exec, proxy, log, portforward). */
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** Watches (`?watch=true` or the legacy /watch/ prefix), proxy and streaming subresources. */
export function isLongRunning(req: IncomingMessage): boolean {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://x');
  } catch {
    return false;
  }
  const watch = url.searchParams.get('watch');
  if (watch === 'true' || watch === '1') return true;
  const seg = url.pathname.split('/').filter(Boolean);
  const rest = seg[0] === 'api' ? seg.slice(2) : seg[0] === 'apis' ? seg.slice(3) : [];
  if (rest[0] === 'watch' || rest[0] === 'proxy') return true;
  // The subresource is the segment after the name: .../<plural>/<name>/<sub>.
  const named = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  return named.length >= 3 && LONG_RUNNING_SUBRESOURCES.has(named[2]);
}

/** The timeout filter's answer, unless the handler has begun its own. */
export function requestTimedOut(res: ServerResponse): void {
  if (res.headersSent) return;
  res.setHeader('Connection', 'close');
  sendJSON(res, 504, errors.timeout('request did not complete within the allotted timeout').toStatus());
}
