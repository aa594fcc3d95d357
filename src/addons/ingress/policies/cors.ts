// enable-cors and the cors-* options, as ingress-nginx's CORS template writes them.
//
//   corsOriginAllowed(cors: CorsAnnotations, origin: string | undefined): boolean
//     cors-allow-origin "*" (the default) allows every request, with or without Origin.
//     A list allows an Origin that matches one entry case-insensitively, where "*." in an
//     entry stands for one DNS label; like ingress-nginx's `~* (...)$` the match is anchored
//     at the end only.
//   corsPreflight(cors: CorsAnnotations, method: string, origin: string | undefined)
//     : PolicyResponse | undefined
//     every OPTIONS request with an allowed origin is answered 204 by the ingress itself,
//     with Access-Control-Allow-Origin/-Credentials/-Methods/-Headers/[-Expose-Headers]/
//     -Max-Age, Content-Type "text/plain charset=UTF-8" and Content-Length 0; undefined
//     otherwise (the request then goes upstream as usual).
//   corsResponseHeaders(cors: CorsAnnotations, origin: string | undefined)
//     : Record<string, string> | undefined
//     headers to set (replacing the upstream's, like more_set_headers) on the response of
//     any other request with an allowed origin.
//
// Access-Control-Allow-Origin is "*" for the wildcard configuration and the request's Origin
// otherwise. The request path calls corsPreflight right after the body-size check, before
// redirects, limits and source ranges (nginx's rewrite phase, policies/index.ts), and merges
// corsResponseHeaders into the upstream's response (more_set_headers also applies them to
// the ingress's own error pages). Both return undefined when cors.enabled is false.

import type { CorsAnnotations } from '../annotations.js';
import type { PolicyResponse } from './responses.js';

const originCache = new Map<string, RegExp>();

export function corsOriginAllowed(cors: CorsAnnotations, origin: string | undefined): boolean {
  if (isWildcard(cors)) return true;
  if (origin === undefined) return false;
  const key = cors.allowOrigin.join(',');
  let re = originCache.get(key);
  if (!re) {
    const alternatives = cors.allowOrigin.map((o) => `(${escapeRegex(o).replace('\\*', '[A-Za-z0-9\\-]+')})`);
    re = new RegExp(`(${alternatives.join('|')})$`, 'i');
    originCache.set(key, re);
  }
  return re.test(origin);
}

export function corsPreflight(cors: CorsAnnotations, method: string, origin: string | undefined): PolicyResponse | undefined {
  if (!cors.enabled || method !== 'OPTIONS' || !corsOriginAllowed(cors, origin)) return undefined;
  return {
    status: 204,
    headers: {
      ...allowHeaders(cors, origin),
      'Content-Type': 'text/plain charset=UTF-8',
      'Content-Length': '0',
    },
    body: '',
  };
}

export function corsResponseHeaders(cors: CorsAnnotations, origin: string | undefined): Record<string, string> | undefined {
  if (!cors.enabled || !corsOriginAllowed(cors, origin)) return undefined;
  return allowHeaders(cors, origin);
}

function allowHeaders(cors: CorsAnnotations, origin: string | undefined): Record<string, string> {
  const h: Record<string, string> = {
    'Access-Control-Allow-Origin': isWildcard(cors) ? '*' : origin ?? '',
  };
  if (cors.allowCredentials) h['Access-Control-Allow-Credentials'] = 'true';
  h['Access-Control-Allow-Methods'] = cors.allowMethods;
  h['Access-Control-Allow-Headers'] = cors.allowHeaders;
  if (cors.exposeHeaders !== '') h['Access-Control-Expose-Headers'] = cors.exposeHeaders;
  h['Access-Control-Max-Age'] = String(cors.maxAge);
  return h;
}

function isWildcard(cors: CorsAnnotations): boolean {
  return cors.allowOrigin.length === 1 && cors.allowOrigin[0] === '*';
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
