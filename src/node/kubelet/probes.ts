import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ExecProcess } from './cri.js';

// Container probes as upstream pkg/kubelet/prober: one tracker per (container, probe type)
// counts consecutive results against success/failure thresholds; the probe itself is an
// HTTP GET or TCP connect from the node namespace to the pod IP, or an exec in the container.

export type ProbeType = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface Probe {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export const PROBE_NAMES: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** The result a probe reports before its first run: upstream's initialValue. */
export function initialResult(t: ProbeType): ProbeResult {
  return t === 'readiness' ? 'failure' : t === 'liveness' ? 'success' : 'unknown';
}

/** Threshold bookkeeping of one probe worker for one container instance. */
export class ProbeTracker {
  result: ProbeResult;
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  /** Set after liveness/startup failed: the container is being restarted, stop probing it. */
  onHold = false;

  constructor(
    readonly type: ProbeType,
    private readonly probe: Probe,
  ) {
    this.result = initialResult(type);
  }

  /**
   * Whether a probe should run now, given how long the container has been running and
   * whether its startup probe has passed (upstream worker.doProbe's early returns).
   */
  shouldProbe(runningForMs: number, started: boolean): boolean {
    if (this.onHold) return false;
    if (this.type === 'startup' && started) return false;
    if (this.type !== 'startup' && !started) return false;
    return runningForMs >= (this.probe.initialDelaySeconds ?? 0) * 1000;
  }

  /** Records one outcome; returns true when the externally visible result changed. */
  record(r: ProbeResult): boolean {
    if (r === 'unknown') return false;
    if (this.lastResult === r) this.resultRun++;
    else {
      this.lastResult = r;
      this.resultRun = 1;
    }
    const success = this.probe.successThreshold ?? 1;
    const failure = this.probe.failureThreshold ?? 3;
    if ((r === 'failure' && this.resultRun < failure) || (r === 'success' && this.resultRun < success)) return false;
    const changed = this.result !== r;
    this.result = r;
    if ((this.type === 'liveness' || this.type === 'startup') && r === 'failure') {
      this.onHold = true;
      this.resultRun = 0;
    }
    return changed || (this.onHold && r === 'failure');
  }
}

export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
}

/** A named port (container ports) or a number. */
export function resolvePort(port: number | string, ports: { name?: string; containerPort: number }[] | undefined): number | Error {
  if (typeof port === 'number') return port > 0 && port < 65536 ? port : new Error(`invalid port number: ${port}`);
  const named = ports?.find((p) => p.name === port);
  if (named) return named.containerPort;
  const n = Number(port);
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  return new Error(`couldn't find port: ${port} in ${JSON.stringify(ports ?? [])}`);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net error text for a failed dial, as the kubelet would print it. */
export function dialError(host: string, port: number, e: NodeJS.ErrnoException | Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  const addr = hostPort(host, port);
  if (code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (code === 'ENETUNREACH') return `dial tcp ${addr}: connect: network is unreachable`;
  if (code === 'ETIMEDOUT' || code === 'TIMEOUT') return `dial tcp ${addr}: i/o timeout`;
  return `dial tcp ${addr}: ${e.message}`;
}

export function httpProbe(o: { host: string; port: number; path?: string; headers?: { name: string; value: string }[]; timeoutMs: number; scheme?: string }): Promise<ProbeOutcome> {
  const path = o.path || '/';
  const url = `${(o.scheme ?? 'HTTP').toLowerCase()}://${hostPort(o.host, o.port)}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
    for (const h of o.headers ?? []) headers[h.name.toLowerCase()] = h.value;
    let done = false;
    const finish = (r: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    // The kubelet's HTTPS probes do not verify the certificate (prober/http.go: InsecureSkipVerify).
    const secure = (o.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    const send = secure ? httpsRequest : request;
    const req = send({ host: o.host, port: o.port, path: path.startsWith('/') ? path : `/${path}`, method: 'GET', headers, agent: false, ...(secure ? { rejectUnauthorized: false } : {}) }, (res) => {
      const code = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 10 * 1024) body += d;
      });
      res.on('end', () => {
        if (code >= 200 && code < 400) finish({ result: 'success', output: body });
        else finish({ result: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => finish({ result: 'failure', output: `Get "${url}": ${e.message}` }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ result: 'failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    }, o.timeoutMs);
    req.on('error', (e) => finish({ result: 'failure', output: `Get "${url}": ${dialError(o.host, o.port, e)}` }));
    req.end();
  });
}

export function tcpProbe(o: { host: string; port: number; timeoutMs: number }): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = connect({ host: o.host, port: o.port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', output: dialError(o.host, o.port, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })) });
    }, o.timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: 'success', output: '' });
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(o.host, o.port, e) });
    });
  });
}

/** Runs a command in the container; a non-zero exit or a timeout is a failure with its output. */
export async function execProbe(proc: ExecProcess, command: string[], timeoutMs: number): Promise<ProbeOutcome> {
  const chunks: Buffer[] = [];
  const collect = (d: Buffer | string) => {
    if (chunks.reduce((n, c) => n + c.length, 0) < 10 * 1024) chunks.push(Buffer.from(d));
  };
  proc.stdout.on('data', collect);
  proc.stderr?.on('data', collect);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const code = await Promise.race([proc.exit, timeout]);
  clearTimeout(timer);
  if (code === 'timeout') return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  const output = Buffer.concat(chunks).toString('utf8');
  return { result: code === 0 ? 'success' : 'failure', output };
}
