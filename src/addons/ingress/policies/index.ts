// The per-request policies of ingress-nginx's annotations, in the order nginx applies them.
// The request path, once it has chosen host, location and (canary or primary) backend for a
// request, runs (first PolicyResponse wins and is written as the answer):
//
//   1. appRootRedirect(cfg.rewrite, req)            redirect.ts   server-level `if ($uri = /)`
//   2. bodyTooLarge(cfg.proxy, contentLength)       body-size.ts  nginx checks Content-Length
//                                                                 as soon as the location is found
//   3. locationDenied(cfg)                          source-range.ts the location is only `return 503`
//   4. corsPreflight(cfg.cors, method, origin)      cors.ts       location `if` + `return 204`
//   5. annotationRedirect(cfg.redirect)             redirect.ts   location `return`
//   6. sslRedirect(cfg.rewrite, req, hostHasTls)    redirect.ts   rewrite_by_lua (end of the
//                                                                 rewrite phase)
//   7. limiter.acquire(clientIp)                    rate-limit.ts preaccess (limit_conn, limit_req)
//   8. checkSourceRange(cfg, clientIp)              source-range.ts access (allow/deny)
//   9. proxy: backend from routeToCanary (canary.ts, after CookieAffinity.affinitizedTo),
//      endpoint from CookieAffinity.pick (affinity.ts) when affinity is on, request URI from
//      rewriteTarget (rewrite.ts), X-Forwarded-Prefix from forwardedPrefixHeader, Host from
//      cfg.upstreamVhost, transport from backendTransport (backend-protocol.ts), timeouts and
//      retries from proxyTimeouts/mayRetry (timeouts.ts), streamed-body limit from
//      cfg.proxy.bodySizeBytes in the upstream exchange, and corsResponseHeaders + any affinity Set-Cookie on the response.
//   On every response, including the ingress's own pages: hstsHeader (hsts.ts), and the
//   CORS headers when the location enables CORS.
//
// This is nginx's phase order for ingress-nginx's template (rewrite-module `if`/`return` run
// before rewrite_by_lua, which runs before preaccess and access), so a CORS preflight is
// answered even for clients that whitelist-source-range or limit-rps would refuse, and
// permanent-redirect wins over ssl-redirect, exactly as with ingress-nginx.

export * from './responses.js';
export * from './redirect.js';
export * from './rewrite.js';
export * from './canary.js';
export * from './affinity.js';
export * from './cookies.js';
export * from './rate-limit.js';
export * from './source-range.js';
export * from './cors.js';
export * from './body-size.js';
export * from './timeouts.js';
export * from './backend-protocol.js';
export * from './cidr.js';
export * from './size.js';
export * from './hsts.js';
export * from './regex.js';
