import { httpDate, statusLine } from '../../proxy/http1/serialize.js';
import type { LocalReply, ServerDialect } from '../../proxy/local-reply.js';

// How Envoy speaks for itself in Istio: `server: istio-envoy` from a gateway and `server: envoy`
// in the mesh, its own reason phrases, and its local replies (text/plain bodies, an empty
// 404 for no route). Its HTTP/1 codec writes every field name in lower case, and a Connection
// line only to close, or to keep an HTTP/1.0 connection open.

export const ENVOY_SERVER = 'istio-envoy';

/**
 * Envoy's reason phrases (CodeUtility::toString in source/common/http/codes.cc), which its HTTP/1
 * codec writes whatever the upstream's status line said: a status it has no phrase for is
 * "Unknown" (418, 451, 102, …).
 */
const ENVOY_REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early',
  426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates', 507: 'Insufficient Storage',
  508: 'Loop Detected', 510: 'Not Extended', 511: 'Network Authentication Required', 599: 'Last Unassigned Server Error Code',
};

export function envoyReason(status: number): string {
  return ENVOY_REASONS[status] ?? 'Unknown';
}

export function envoyReply(status: number, body = '', headers: Record<string, string> = {}): LocalReply {
  return { status, headers: body ? { 'content-type': 'text/plain', ...headers } : headers, body };
}

function envoyConnection(keepAlive: boolean, minor: 0 | 1): string {
  if (!keepAlive) return 'connection: close\r\n';
  return minor === 0 ? 'connection: keep-alive\r\n' : '';
}

function envoyDialect(server: string): ServerDialect {
  return {
    server,
    reason: envoyReason,
    // Envoy's codec errors: 400 (or 431 for a head over its limit) with the codec's detail.
    refusal: (status, tooLarge) => (tooLarge ? envoyReply(431, 'Request Header Fields Too Large') : envoyReply(status, envoyReason(status))),
    connection: envoyConnection,
    // sendLocalReply's header map: the reply's own fields, then content-length and content-type
    // for a body; the connection manager adds date, server and connection; the codec frames an
    // empty body last (content-length: 0, or to a HEAD request the chunked coding it would use).
    // The codec answers an HTTP/1.0 request in HTTP/1.0 once it accepts them (accept_http_10).
    replyHead(page, keepAlive, request) {
      let head = statusLine(page.status, envoyReason(page.status), page.http11 ? 1 : (request?.minor ?? 1));
      let type: string | undefined;
      for (const k in page.headers) {
        const lower = k.toLowerCase();
        if (lower === 'content-type') type = page.headers[k];
        else if (lower !== 'connection' && lower !== 'content-length') head += lower + ': ' + page.headers[k] + '\r\n';
      }
      if (page.body) head += 'content-length: ' + Buffer.byteLength(page.body) + '\r\n';
      if (type !== undefined) head += 'content-type: ' + type + '\r\n';
      head += 'date: ' + httpDate() + '\r\nserver: ' + server + '\r\n' + envoyConnection(keepAlive, request?.minor ?? 1);
      const bodiless = page.status < 200 || page.status === 204 || page.status === 304;
      if (!page.body && !bodiless) head += request?.method === 'HEAD' ? 'transfer-encoding: chunked\r\n' : 'content-length: 0\r\n';
      return head;
    },
  };
}

/** The gateways' and sidecars' inbound connection managers (pilot's EnvoyServerName). */
export const ENVOY_DIALECT = envoyDialect(ENVOY_SERVER);

/**
 * The mesh's: a meshed client's answers come last through what stands for its sidecar's outbound
 * listener, to which pilot gives no server_name, so Envoy's default "envoy" overwrites the
 * header ("Likely due to a mistake, outbound uses envoy while inbound uses istio-envoy").
 */
export const MESH_DIALECT = envoyDialect('envoy');

/** Upstream failure replies (Envoy's router: UF, URX). */
export function connectFailureBody(retried: boolean, reason: string): string {
  return retried
    ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote ${reason}`
    : `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}
