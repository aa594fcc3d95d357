// proxy-body-size (nginx client_max_body_size).
//
//   bodyTooLarge(proxy: ProxyAnnotations, contentLength: number | undefined): PolicyResponse | undefined
//     413 (nginx's page, with `Connection: close`: nginx never keeps such a connection alive,
//     the unread body would follow) when the request declares a Content-Length above the
//     limit; nginx checks this as soon as the location is known, before reading the body.
//   class BodySizeCounter {
//     constructor(limitBytes: number)      0 = unlimited
//     add(chunkBytes: number): boolean     false once the running total exceeds the limit
//   }
//     For bodies without Content-Length (chunked): feed every chunk as it streams; when add()
//     returns false, stop forwarding and answer nginxPage(413, { Connection: 'close' }) if
//     nothing has been sent to the client yet (otherwise abort the upstream request and close).
//
// The request path calls bodyTooLarge right after app-root, before every other policy
// (policies/index.ts).

import type { ProxyAnnotations } from '../annotations.js';
import { nginxPage, type PolicyResponse } from './responses.js';

export function bodyTooLarge(proxy: ProxyAnnotations, contentLength: number | undefined): PolicyResponse | undefined {
  if (proxy.bodySizeBytes === 0 || contentLength === undefined) return undefined;
  return contentLength > proxy.bodySizeBytes ? nginxPage(413, { Connection: 'close' }) : undefined;
}

export class BodySizeCounter {
  private total = 0;
  constructor(private readonly limitBytes: number) {}

  add(chunkBytes: number): boolean {
    this.total += chunkBytes;
    return this.limitBytes === 0 || this.total <= this.limitBytes;
  }
}
