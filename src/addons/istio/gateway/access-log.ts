// Istio's default access log line (meshConfig.accessLogFormat empty, accessLogEncoding TEXT):
// [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
// %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
// "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
// %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW%
// %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
// %REQUESTED_SERVER_NAME% %ROUTE_NAME%

import { perSecond } from '../../proxy/per-second.js';

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

const isoPrefix = perSecond((second) => new Date(second * 1000).toISOString().slice(0, 20));

/** %START_TIME% as Date#toISOString writes it. */
export function startTime(ms: number): string {
  const milli = ms % 1000;
  return isoPrefix(ms) + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

export function accessLogLine(r: AccessRecord): string {
  return (
    `[${startTime(r.start)}] "${r.method} ${r.path} ${r.protocol}" ${r.status} ${r.flags || '-'} ${r.details} - "${dash(r.transportFailure)}" ` +
    `${r.bytesReceived} ${r.bytesSent} ${Math.round(r.durationMs)} ${dash(r.upstreamServiceTimeMs)} "${dash(r.forwardedFor)}" "${dash(r.userAgent)}" "${dash(r.requestId)}" ` +
    `"${dash(r.authority)}" "${dash(r.upstreamHost)}" ${dash(r.upstreamCluster)} ${dash(r.upstreamLocal)} ${r.downstreamLocal} ${r.downstreamRemote} ${dash(r.serverName)} ${dash(r.routeName)}\n`
  );
}
