// What a proxy answers by itself (error pages, redirects, refusals), and the way a proxy speaks
// on its own behalf: nginx and Envoy name themselves, word their status lines and error pages and
// write their header fields differently, while the HTTP/1.1 engine in http1/ that writes those answers is the same.

export interface LocalReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The status line says HTTP/1.1 whatever the request's version (a proxy refusing HTTP/1.0 does not speak it). */
  http11?: true;
}

export interface ServerDialect {
  /** The Server header of the proxy's own answers, and of the upstream's it relays. */
  server: string;
  /** The reason phrase of a status line the proxy writes. */
  reason(status: number, upstreamReason?: string): string;
  /** The answer to a request head the engine refuses (malformed, too large). */
  refusal(status: number, headerTooLarge: boolean): LocalReply;
  /** The Connection line (with its CRLF) of a response to an HTTP/1.`minor` request, or '' where the protocol implies it. */
  connection(keepAlive: boolean, minor: 0 | 1): string;
  /**
   * The head of an answer of the proxy's own through its last field line: the proxy's fields,
   * the framing and the Connection line, in the order and letter case the proxy writes them.
   * `request` is undefined for a request head that could not be read.
   */
  replyHead(page: LocalReply, keepAlive: boolean, request: ReplyTo | undefined): string;
}

/** What of the request decides the head of an answer to it. */
export interface ReplyTo {
  method: string;
  minor: 0 | 1;
}
