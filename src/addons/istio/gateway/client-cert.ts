import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';

// The x-forwarded-client-cert header a gateway sends upstream for a client that presented a
// certificate, as Istio configures its gateways' Envoy: SANITIZE_SET (a client's own header is
// never passed on; the gateway sets it from the verified certificate) with the hash, the
// certificate, its subject, URI SAN and DNS SANs (Envoy's XFCC format:
// `By=…;Hash=…;Cert="…";Subject="…";URI=…;DNS=…`).

/** Per connection, computed at its first request: its header value, or null without a client certificate. */
const byConnection = new WeakMap<Socket, string | null>();

/** The header's value for the connection `socket`, or undefined when it is not TLS or its client sent no certificate. */
export function forwardedClientCert(socket: Socket): string | undefined {
  let value = byConnection.get(socket);
  if (value === undefined) {
    value = compute(socket as TLSSocket);
    byConnection.set(socket, value);
  }
  return value ?? undefined;
}

function compute(socket: TLSSocket): string | null {
  // A plain TCP socket has no such method.
  const peer = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
  if (!peer) return null;
  const parts: string[] = [];
  const by = sans(socket.getX509Certificate?.(), 'URI')[0];
  if (by) parts.push(`By=${by}`);
  parts.push(`Hash=${peer.fingerprint256.replace(/:/g, '').toLowerCase()}`);
  parts.push(`Cert="${encodeURIComponent(peer.toString())}"`);
  parts.push(`Subject="${rfc2253(peer.subject)}"`);
  // Envoy writes the URI key even when the certificate has none, and one DNS key per name.
  parts.push(`URI=${sans(peer, 'URI')[0] ?? ''}`);
  for (const dns of sans(peer, 'DNS')) parts.push(`DNS=${dns}`);
  return parts.join(';');
}

/**
 * OpenSSL's RFC 2253 form of a name (what Envoy prints): the RDNs last first, joined by commas.
 * Node gives them first to last, one per line, already escaped as RFC 2253 asks.
 */
export function rfc2253(subject: string): string {
  return subject.split('\n').filter(Boolean).reverse().join(',');
}

/** The subject alternative names of one type, in the certificate's order. */
function sans(cert: X509Certificate | undefined, type: 'DNS' | 'URI'): string[] {
  const list = cert?.subjectAltName;
  if (!list) return [];
  const out: string[] = [];
  for (const entry of list.split(', ')) if (entry.startsWith(`${type}:`)) out.push(entry.slice(type.length + 1));
  return out;
}
