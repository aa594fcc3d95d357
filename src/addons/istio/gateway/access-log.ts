// Istio's default access log line (meshConfig.accessLogFormat empty, accessLogEncoding TEXT):
// [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
// %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
// "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
// %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW%
// %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
// %REQUESTED_SERVER_NAME% %ROUTE_NAME%

export interface AccessRecord {
  start: number;
  method: string;
  path: string;
  protocol: string;
  status: number;
  flags: string;
  details: string;
  transportFailure?: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  upstreamServiceTimeMs?: number;
  forwardedFor?: string;
  userAgent?: string;
  requestId?: string;
  authority?: string;
  upstreamHost?: string;
  upstreamCluster?: string;
  upstreamLocal?: string;
  downstreamLocal: string;
  downstreamRemote: string;
  serverName?: string;
  routeName?: string;
}

const dash = (v: string | number | undefined) => (v === undefined || v === '' ? '-' : String(v));

let isoSecond = NaN;
let isoPrefix = '';

/** %START_TIME% as Date#toISOString writes it, the part up to the second formatted once per second: a line per request need not format a date. */
export function startTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return isoPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

export function accessLogLine(r: AccessRecord): string {
  return (
    `[${startTime(r.start)}] "${r.method} ${r.path} ${r.protocol}" ${r.status} ${r.flags || '-'} ${r.details} - "${dash(r.transportFailure)}" ` +
    `${r.bytesReceived} ${r.bytesSent} ${Math.round(r.durationMs)} ${dash(r.upstreamServiceTimeMs)} "${dash(r.forwardedFor)}" "${dash(r.userAgent)}" "${dash(r.requestId)}" ` +
    `"${dash(r.authority)}" "${dash(r.upstreamHost)}" ${dash(r.upstreamCluster)} ${dash(r.upstreamLocal)} ${r.downstreamLocal} ${r.downstreamRemote} ${dash(r.serverName)} ${dash(r.routeName)}\n`
  );
}

/** How long a line may wait in the sink before it is written. */
export const ACCESS_LOG_FLUSH_MS = 100;
/** Buffered text that is written at once, without waiting for the timer (Envoy's file sink buffers 64 KiB). */
const ACCESS_LOG_BUFFER_BYTES = 64 * 1024;

/**
 * The proxy's access log sink, buffered as Envoy's file sink is: lines are written together
 * when the buffer fills or a short timer after the first of them, never one write per request.
 * Each write to the container's log pipe is a system call here and a wake-up of the runtime's
 * log stamper, which on a small machine takes a CPU from the requests in flight; at 1,000
 * requests/s one write carries about a hundred lines. Lines go into the buffer as latin1, the
 * bytes the request head was read as (http1/head.ts), so a path or header is logged with the
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
