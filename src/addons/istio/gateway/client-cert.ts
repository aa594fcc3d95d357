import type { TLSSocket } from 'node:tls';
import { createHash, type X509Certificate } from 'node:crypto';
import type { ServerTls } from '../config/types.js';

// What a gateway does with a client's certificate beyond the CA's check: a mutual TLS server's
// SAN and hash checks, and the x-forwarded-client-cert header it sends upstream, as Istio
// configures its gateways' Envoy: SANITIZE_SET (a client's own header is never passed on; the
// gateway sets it from the verified certificate) with the hash, the certificate, its subject,
// URI SAN and DNS SANs (Envoy's XFCC format: `By=…;Hash=…;Cert="…";Subject="…";URI=…;DNS=…`).

/** Per connection, computed at its first request: its header value, or null without a client certificate. */
const byConnection = new WeakMap<TLSSocket, string | null>();

/** The header's value for the TLS connection `socket`, or undefined when its client sent no certificate. */
export function forwardedClientCert(socket: TLSSocket): string | undefined {
  let value = byConnection.get(socket);
  if (value === undefined) {
    value = compute(socket);
    byConnection.set(socket, value);
  }
  return value ?? undefined;
}

/** A certificate's SHA-256 hash as Envoy writes it: lowercase hex, no colons. */
export function certificateHash(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

function compute(socket: TLSSocket): string | null {
  const peer = socket.getPeerX509Certificate();
  if (!peer) return null;
  const parts: string[] = [];
  const by = sans(socket.getX509Certificate(), 'URI')[0];
  if (by) parts.push(`By=${by}`);
  parts.push(`Hash=${certificateHash(peer)}`);
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
  return subjectAltNames(cert?.subjectAltName)
    .filter((n) => n.type === type)
    .map((n) => n.value);
}

/** Subject alternative names from Node's list of them (`DNS:a, URI:b, IP Address:c`, an X509Certificate's subjectAltName or a peer certificate's subjectaltname). */
export function subjectAltNames(list: string | undefined): { type: string; value: string }[] {
  if (!list) return [];
  return list.split(', ').map((entry) => {
    const colon = entry.indexOf(':');
    return { type: entry.slice(0, colon), value: entry.slice(colon + 1) };
  });
}

/**
 * Whether a client certificate passes a mutual TLS server's further checks, as Envoy's
 * validation context makes them: one of `subjectAltNames` is among its SANs, of any type; and
 * its hash is among `certificateHashes` or its SPKI's among `spkiHashes`, when either is given.
 */
export function clientCertificatePasses(cert: X509Certificate, t: Pick<ServerTls, 'subjectAltNames' | 'certificateHashes' | 'spkiHashes'>): boolean {
  if (t.subjectAltNames && !subjectAltNames(cert.subjectAltName).some((n) => t.subjectAltNames!.includes(n.value))) return false;
  if (!t.certificateHashes && !t.spkiHashes) return true;
  if (t.certificateHashes?.includes(certificateHash(cert))) return true;
  const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return t.spkiHashes?.includes(spki) ?? false;
}
