// backend-protocol.
//
//   backendTransport(config: Pick<IngressAnnotations, 'backendProtocol'>)
//     : { scheme: 'http' | 'https'; rejectUnauthorized: false } | { unsupported: BackendProtocol }
//     HTTP → plain HTTP/1.1 to the endpoint; HTTPS → TLS to the endpoint without verifying
//     its certificate (nginx's proxy_ssl_verify is off unless proxy-ssl-verify is set) and
//     without SNI (proxy_ssl_server_name off by default). GRPC, GRPCS, AJP and FCGI are not
//     proxied by skiff: the request path answers 502 for them and logs the Ingress.
//
// The request path calls it when building a location and uses it for every upstream attempt.

import type { BackendProtocol, IngressAnnotations } from '../annotations.js';

export type BackendTransport =
  | { scheme: 'http' | 'https'; rejectUnauthorized: false }
  | { unsupported: BackendProtocol };

export function backendTransport(config: Pick<IngressAnnotations, 'backendProtocol'>): BackendTransport {
  switch (config.backendProtocol) {
    case 'HTTP':
      return { scheme: 'http', rejectUnauthorized: false };
    case 'HTTPS':
      return { scheme: 'https', rejectUnauthorized: false };
    default:
      return { unsupported: config.backendProtocol };
  }
}
