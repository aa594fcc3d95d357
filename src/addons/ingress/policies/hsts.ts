// HTTP Strict Transport Security on TLS responses (ingress-nginx ConfigMap defaults: hsts
// "true", hsts-max-age "15724800", hsts-include-subdomains "true", hsts-preload "false").
//
//   hstsHeader(scheme: 'http' | 'https', hostHasTls: boolean): string | undefined
//     "max-age=15724800; includeSubDomains" for responses sent over TLS on a host whose
//     certificate comes from an Ingress (not the default certificate), else undefined.
//
// lua_ingress.header() sets it on every response of such a request, replacing any
// Strict-Transport-Security the upstream sent; the request path adds it to proxied
// responses and to the ingress's own pages alike.

export const HSTS_VALUE = 'max-age=15724800; includeSubDomains';

export function hstsHeader(scheme: 'http' | 'https', hostHasTls: boolean): string | undefined {
  return scheme === 'https' && hostHasTls ? HSTS_VALUE : undefined;
}
