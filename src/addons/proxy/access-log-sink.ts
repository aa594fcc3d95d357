/** How long a line may wait in the sink before it is written. */
export const ACCESS_LOG_FLUSH_MS = 100;
/** Buffered text that is written at once, without waiting for the timer (Envoy's file sink buffers 64 KiB). */
const ACCESS_LOG_BUFFER_BYTES = 64 * 1024;

/**
 * A proxy's access log sink (the gateway's and the ingress controller's), buffered as Envoy's
 * file sink is, and as nginx's `access_log … buffer=` is: lines are written together
 * when the buffer fills or a short timer after the first of them, never one write per request.
 * Each write to the container's log pipe is a system call here and a wake-up of the runtime's
 * log stamper, which on a small machine takes a CPU from the requests in flight; at 1,000
 * requests/s one write carries about a hundred lines. Lines go into the buffer as latin1, the
 * bytes the request head was read as (./http1/head.ts), so a path or header is logged with the
 * bytes the client sent, and no string of the whole batch is built to be encoded again.
 */
export class AccessLogSink {
  private buffer = Buffer.allocUnsafe(ACCESS_LOG_BUFFER_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: (chunk: Buffer) => void,
    private readonly flushMs = ACCESS_LOG_FLUSH_MS,
  ) {}

  readonly write = (line: string): void => {
    if (this.used + line.length > this.buffer.length) this.flush();
    if (line.length > this.buffer.length) return this.out(Buffer.from(line, 'latin1'));
    this.used += this.buffer.write(line, this.used, 'latin1');
    if (this.used === this.buffer.length) this.flush();
    else this.timer ??= setTimeout(this.flush, this.flushMs);
  };

  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0) return;
    // The written chunk is the caller's: the next lines go to a buffer of their own.
    const chunk = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(ACCESS_LOG_BUFFER_BYTES);
    this.used = 0;
    this.out(chunk);
  };
}
