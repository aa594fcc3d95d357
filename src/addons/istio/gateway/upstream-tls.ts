import { isIP } from 'node:net';
import { checkServerIdentity, createSecureContext, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { UpstreamTls } from '../config/types.js';
import { subjectAltNames } from './client-cert.js';

// TLS origination to a cluster's endpoints, as Envoy's UpstreamTlsContext from a
// DestinationRule's SIMPLE or MUTUAL `tls` does it: the SNI, then the server's certificate
// checked against the credential's CA (else the system's roots) and against `subjectAltNames`
// (else the SNI); insecureSkipVerify checks nothing. And how Envoy names a failed TLS setup in a
// local reply and in %UPSTREAM_TRANSPORT_FAILURE_REASON%.

/** Node's options for the cluster's connections; the secure context (roots, key pair) is made once. */
export function tlsOptions(t: UpstreamTls): ConnectionOptions {
  const secureContext = createSecureContext({ ...(t.ca ? { ca: t.ca } : {}), ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}) });
  const names = t.subjectAltNames;
  return {
    secureContext,
    // RFC 6066 has no SNI for an address.
    ...(isIP(t.sni) ? {} : { servername: t.sni }),
    rejectUnauthorized: !t.insecure,
    checkServerIdentity: t.insecure
      ? () => undefined
      : names
        ? (_host: string, cert: PeerCertificate) => subjectAltNamesCheck(names, cert)
        : (_host: string, cert: PeerCertificate) => checkServerIdentity(t.sni, cert),
  };
}

/** Envoy's match_typed_subject_alt_names with exact matchers, as for a gateway's client certificates: one of the names among the certificate's SANs. */
function subjectAltNamesCheck(names: string[], cert: PeerCertificate): Error | undefined {
  if (subjectAltNames(cert.subjectaltname).some((n) => names.includes(n.value))) return undefined;
  return Object.assign(new Error(`the certificate's SANs (${cert.subjectaltname ?? 'none'}) include none of ${names.join(', ')}`), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
}

/** Node's errors for a certificate the client does not accept: BoringSSL's CERTIFICATE_VERIFY_FAILED in Envoy. */
const VERIFY_FAILURES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

/** BoringSSL's packed error codes for the failures named here. */
const BORINGSSL_CODES: Record<string, number> = { CERTIFICATE_VERIFY_FAILED: 268435581, WRONG_VERSION_NUMBER: 268435703 };

/** Envoy's transport failure reason for a failed TLS setup, or undefined when the failure was not TLS's. */
export function tlsFailureReason(e: Error & { code?: string }): string | undefined {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_SECRET_NOT_SUPPLIED') return 'TLS error: Secret is not supplied by SDS';
  const name = VERIFY_FAILURES.has(code) ? 'CERTIFICATE_VERIFY_FAILED' : code.startsWith('ERR_SSL_') ? code.slice('ERR_SSL_'.length) : undefined;
  if (!name) return undefined;
  const packed = BORINGSSL_CODES[name];
  return `TLS_error:|${packed !== undefined ? `${packed}:` : ''}SSL routines:OPENSSL_internal:${name}:TLS_error_end`;
}
