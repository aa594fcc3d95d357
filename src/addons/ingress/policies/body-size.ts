// proxy-body-size (nginx client_max_body_size).
//
//   bodyTooLarge(proxy: ProxyAnnotations, contentLength: number | undefined): PolicyResponse | undefined
//     413 (nginx's page, with `Connection: close`: nginx never keeps such a connection alive,
//     the unread body would follow) when the request declares a Content-Length above the
//     limit; nginx checks this as soon as the location is known, before reading the body.
//
// Bodies without Content-Length (chunked) are counted as they stream, by the upstream exchange
// (http1/upstream-exchange.ts, maxBodyBytes), which answers the same 413 if no response has
// started.
//
// The request path calls bodyTooLarge right after app-root, before every other policy
// (policies/index.ts).

import type { ProxyAnnotations } from '../annotations.js';
import { nginxPage, type PolicyResponse } from './responses.js';

export function bodyTooLarge(proxy: ProxyAnnotations, contentLength: number | undefined): PolicyResponse | undefined {
  if (proxy.bodySizeBytes === 0 || contentLength === undefined) return undefined;
  return contentLength > proxy.bodySizeBytes ? nginxPage(413, { Connection: 'close' }) : undefined;
}
