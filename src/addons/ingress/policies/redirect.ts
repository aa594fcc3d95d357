// Redirects ingress-nginx answers before proxying.
//
//   interface RedirectRequest {
//     scheme: 'http' | 'https';   the scheme the client used on this listener
//     host: string;               the Host header as received (may carry a port), '' if none
//     path: string;               the normalized path (nginx $uri), no query
//     requestUri: string;         the request target exactly as received, with query
//   }
//   appRootRedirect(rewrite: RewriteAnnotations, req: RedirectRequest): PolicyResponse | undefined
//     `app-root`: 302 to $scheme://$http_host<app-root> when the path is exactly "/".
//     ingress-nginx writes it as a server-level `if`, so it runs first, before any location
//     policy, for every Ingress of the host that sets app-root.
//   annotationRedirect(redirect: RedirectAnnotations): PolicyResponse | undefined
//     `temporal-redirect` (302, or temporal-redirect-code) wins over `permanent-redirect`
//     (301, or permanent-redirect-code), as in ingress-nginx's parser. The target is sent as
//     written (no $request_uri appended).
//   sslRedirect(rewrite: RewriteAnnotations, req: RedirectRequest, hostHasTls: boolean,
//               redirectCode = 308): PolicyResponse | undefined
//     `ssl-redirect` (only when the host has a TLS section) and `force-ssl-redirect` on plain
//     HTTP requests: 308 to https://<host without port><request uri>; the request URI loses a
//     trailing "/" unless `preserve-trailing-slash` (lua_ingress.lua does this, so
//     http://h/ goes to https://h).
//
// Order in the request path (nginx phases): appRootRedirect, then (after the body-size and
// CORS preflight checks) annotationRedirect, a `return` in the location that also beats
// rewrite-target, then sslRedirect (rewrite_by_lua). See policies/index.ts.

import type { RedirectAnnotations, RewriteAnnotations } from '../annotations.js';
import { nginxRedirect, type PolicyResponse } from './responses.js';

export interface RedirectRequest {
  scheme: 'http' | 'https';
  host: string;
  path: string;
  requestUri: string;
}

export function appRootRedirect(rewrite: RewriteAnnotations, req: RedirectRequest): PolicyResponse | undefined {
  if (rewrite.appRoot === '' || req.path !== '/') return undefined;
  return nginxRedirect(302, `${req.scheme}://${req.host}${rewrite.appRoot}`);
}

export function annotationRedirect(redirect: RedirectAnnotations): PolicyResponse | undefined {
  if (redirect.temporalRedirect !== '') return nginxRedirect(redirect.temporalRedirectCode, redirect.temporalRedirect);
  if (redirect.permanentRedirect !== '') return nginxRedirect(redirect.permanentRedirectCode, redirect.permanentRedirect);
  return undefined;
}

export function sslRedirect(
  rewrite: RewriteAnnotations,
  req: RedirectRequest,
  hostHasTls: boolean,
  redirectCode = 308,
): PolicyResponse | undefined {
  if (req.scheme !== 'http') return undefined;
  const wanted = rewrite.forceSslRedirect || (rewrite.sslRedirect && hostHasTls);
  if (!wanted) return undefined;
  let uri = req.requestUri;
  if (!rewrite.preserveTrailingSlash && uri.endsWith('/')) uri = uri.slice(0, -1);
  return nginxRedirect(redirectCode, `https://${hostWithoutPort(req.host)}${uri}`);
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}
