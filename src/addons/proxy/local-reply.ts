// What a proxy answers by itself (error pages, redirects, refusals), and the way a proxy speaks
// on its own behalf: nginx and Envoy name themselves and word their status lines and error pages
// differently, while the HTTP/1.1 engine in http1/ that writes those answers is the same.

export interface LocalReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ServerDialect {
  /** The Server header of the proxy's own answers. */
  server: string;
  /** The reason phrase of a status line the proxy writes. */
  reason(status: number, upstreamReason?: string): string;
  /** The answer to a request head the engine refuses (malformed, too large). */
  refusal(status: number, headerTooLarge: boolean): LocalReply;
}
