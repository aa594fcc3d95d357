import { STATUS_CODES } from 'node:http';
import type { LocalReply, ServerDialect } from '../../proxy/local-reply.js';

// How Envoy speaks for itself in an Istio gateway: `server: istio-envoy`, the standard reason
// phrases, and its local replies (text/plain bodies, an empty 404 for no route).

export const ENVOY_SERVER = 'istio-envoy';

export function envoyReply(status: number, body = '', headers: Record<string, string> = {}): LocalReply {
  return { status, headers: body ? { 'content-type': 'text/plain', ...headers } : headers, body };
}

export const ENVOY_DIALECT: ServerDialect = {
  server: ENVOY_SERVER,
  reason: (status, upstreamReason = '') => STATUS_CODES[status] ?? upstreamReason,
  // Envoy's codec errors: 400 (or 431 for a head over its limit) with the codec's detail.
  refusal: (status, tooLarge) => (tooLarge ? envoyReply(431, 'Request Header Fields Too Large') : envoyReply(status, STATUS_CODES[status] ?? 'Bad Request')),
};

/** Upstream failure replies (Envoy's router: UF, URX). */
export function connectFailureBody(retried: boolean, reason: string): string {
  return retried
    ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote ${reason}`
    : `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}
