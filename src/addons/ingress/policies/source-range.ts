// whitelist-source-range and denylist-source-range.
//
//   locationDenied(config: Pick<IngressAnnotations, 'denied'>): PolicyResponse | undefined
//     503 (nginx's page) for every request of a location ingress-nginx denies (an unparsable
//     whitelist-source-range or denylist-source-range): its template writes only
//     `return 503;` into such a location, so this runs before the location's other policies.
//   checkSourceRange(config: Pick<IngressAnnotations, 'whitelistSourceRange' | 'denylistSourceRange'>,
//                    clientIp: string): PolicyResponse | undefined
//     403 (nginx's page) when the client is in denylist-source-range, or when
//     whitelist-source-range is set and the client is in none of its ranges; undefined to go on.
//
// nginx's allow/deny run in the access phase: after the redirects, the CORS preflight and
// limit-connections/limit-req, right before the proxy (policies/index.ts).
// clientIp is the TCP peer (nginx $remote_addr; ingress-nginx does not trust
// X-Forwarded-For by default).

import type { IngressAnnotations } from '../annotations.js';
import { ipInCidrs } from './cidr.js';
import { nginxPage, type PolicyResponse } from './responses.js';

export function locationDenied(config: Pick<IngressAnnotations, 'denied'>): PolicyResponse | undefined {
  return config.denied === '' ? undefined : nginxPage(503);
}

export function checkSourceRange(
  config: Pick<IngressAnnotations, 'whitelistSourceRange' | 'denylistSourceRange'>,
  clientIp: string,
): PolicyResponse | undefined {
  if (config.denylistSourceRange.length > 0 && ipInCidrs(clientIp, config.denylistSourceRange)) return nginxPage(403);
  if (config.whitelistSourceRange.length > 0 && !ipInCidrs(clientIp, config.whitelistSourceRange)) return nginxPage(403);
  return undefined;
}
