// A constant-rate (open-loop) HTTP/1.1 load generator, the part of wrk2 or fortio's -qps the
// mesh benchmark needs: request i is sent at start + i/rate whether or not earlier ones have been
// answered, over a pool of keep-alive connections, for a bounded count. Run as a program inside
// a pod's network namespace (runOpenLoop spawns it under nsenter), it prints one JSON line.
// Generators for several paths can take turns second by second (runOpenLoopsInTurns), so that
// the paths compared meet the same moments of a shared machine.
//
// Latency is timed from the moment each request is written, so the event loop's timer jitter
// (≈ 1 ms, the size of the effect being measured) does not enter it; how late each send was
// against its schedule is reported apart (lag), to show the generator kept the rate.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface OpenLoopResult {
  requests: number;
  /** Answers other than 2xx, and connection errors. */
  errors: number;
  /** Answers that came through an Istio proxy (they carry x-envoy-upstream-service-time). */
  proxied: number;
  /** The rate achieved, requests per second from the first send to the last answer. */
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late sends were against the schedule, p99 (ms). */
  lagP99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One keep-alive connection of the generator, carrying one request at a time. */
class Connection {
  readonly socket: net.Socket;
  /** When the request in flight was written; -1 while idle. */
  sentAt = -1;
  private pending: Buffer | null = null;
  /** Body bytes still to come for the response being read; -1 while its head is not in. */
  private remaining = -1;
  private status = 0;
  private viaProxy = false;
  private close = false;

  constructor(
    url: URL,
    private readonly done: (c: Connection, latency: number, ok: boolean, proxied: boolean) => void,
  ) {
    this.socket = net.connect({ host: url.hostname, port: Number(url.port || 80), noDelay: true });
    this.socket.on('data', this.onData);
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => this.fail());
    this.socket.setTimeout(10_000, () => this.socket.destroy(new Error('no answer in 10s')));
  }

  send(request: Buffer): void {
    this.sentAt = performance.now();
    this.socket.write(request);
  }

  private fail(): void {
    if (this.sentAt < 0) return;
    this.sentAt = -1;
    this.done(this, 0, false, false);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.sentAt < 0) return void this.socket.destroy(); // bytes nobody asked for
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.remaining < 0) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.pending.toString('latin1', 0, end).split('\r\n');
      this.status = Number(lines[0]!.split(' ')[1]);
      let length = -1;
      this.viaProxy = false;
      this.close = false;
      for (const l of lines) {
        const colon = l.indexOf(':');
        const name = l.slice(0, colon).toLowerCase();
        const value = l.slice(colon + 1).trim();
        if (name === 'content-length') length = Number(value);
        else if (name === 'x-envoy-upstream-service-time') this.viaProxy = true;
        else if (name === 'connection') this.close = value.toLowerCase() === 'close';
      }
      // Every server measured here frames its answers with Content-Length; anything else is counted as an error.
      if (!(length >= 0)) return void this.socket.destroy();
      this.remaining = length;
      this.pending = this.pending.subarray(end + 4);
    }
    if (this.pending.length < this.remaining) return;
    const latency = performance.now() - this.sentAt;
    const ok = this.status >= 200 && this.status < 300 && this.pending.length === this.remaining;
    this.sentAt = -1;
    this.remaining = -1;
    this.pending = null;
    if (!ok || this.close) this.socket.destroy();
    this.done(this, latency, ok, this.viaProxy);
  };
}

/**
 * Several generators taking turns: each sends only in its own slot of every `slots` slices of
 * `sliceMs`, from the wall-clock time `startAt` on, so that paths measured one after the other
 * still meet the same seconds of a shared machine.
 */
export interface Turns {
  startAt: number;
  sliceMs: number;
  slot: number;
  slots: number;
}

/**
 * The generator. Its client is a keep-alive connection per request in flight over plain sockets,
 * writing one prepared request and reading the answer by its Content-Length, as wrk2 and fortio
 * do. With Node's http client the generator took about 190 µs of CPU per request at 1,000/s, twice
 * what the proxy being measured takes (this one: 60-100 µs), on a machine of two CPUs shared with
 * that proxy and the backend; its own latency was then most of the plain path's p50 (0.18-0.23 ms
 * against 0.08-0.09 ms to the same local backend).
 */
export function openLoop(target: string, rate: number, count: number, turns?: Turns): Promise<OpenLoopResult> {
  const url = new URL(target);
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: open-loop\r\nAccept: */*\r\n\r\n`, 'latin1');
  const period = 1000 / rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  let errors = 0;
  let proxied = 0;
  let done = 0;
  let sent = 0;
  const start = turns ? performance.now() + (turns.startAt - Date.now()) : performance.now() + 10;
  const perSlice = turns ? Math.max(1, Math.round(turns.sliceMs / period)) : Infinity;
  /** When request i is due. */
  const at = (i: number) => {
    if (!turns) return start + i * period;
    const slice = Math.floor(i / perSlice);
    return start + (slice * turns.slots + turns.slot) * turns.sliceMs + (i % perSlice) * period;
  };
  /** The time spent in the other generators' turns, which the rate leaves out. */
  const othersMs = turns ? Math.floor((count - 1) / perSlice) * (turns.slots - 1) * turns.sliceMs + turns.slot * turns.sliceMs : 0;
  return new Promise((resolve) => {
    const answered = (c: Connection, latency: number, ok: boolean, viaProxy: boolean) => {
      if (ok) latencies.push(latency);
      else errors++;
      if (viaProxy) proxied++;
      if (!c.socket.destroyed) idle.push(c);
      else all.delete(c);
      if (++done < count) return;
      const end = performance.now();
      for (const x of all) x.socket.destroy();
      latencies.sort((a, b) => a - b);
      lags.sort((a, b) => a - b);
      resolve({
        requests: count,
        errors,
        proxied,
        rate: count / ((end - start - othersMs) / 1000),
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? NaN,
        lagP99: percentile(lags, 99),
      });
    };
    const send = (scheduled: number) => {
      lags.push(performance.now() - scheduled);
      let c = idle.pop();
      // A connection the server closed while it was idle is not used again.
      while (c?.socket.destroyed) {
        all.delete(c);
        c = idle.pop();
      }
      if (!c) {
        c = new Connection(url, answered);
        all.add(c);
      }
      c.send(request);
    };
    const tick = () => {
      const now = performance.now();
      for (; sent < count && at(sent) <= now; sent++) send(at(sent));
      if (sent < count) setTimeout(tick, Math.max(0, at(sent) - performance.now()));
    };
    setTimeout(tick, Math.max(0, at(0) - performance.now()));
  });
}

function generatorCommand(netns: string | undefined, url: string, rate: number, count: number, turns?: Turns): string[] {
  const generator = [process.execPath, fileURLToPath(import.meta.url), url, String(rate), String(count)];
  if (turns) generator.push(String(turns.startAt), String(turns.sliceMs), String(turns.slot), String(turns.slots));
  return netns ? ['nsenter', `--net=${netns}`, ...generator] : generator;
}

/** Runs the generator, inside a network namespace (a path for nsenter) if given, and returns its result. */
export function runOpenLoop(netns: string | undefined, url: string, rate: number, count: number): OpenLoopResult {
  const [cmd, ...args] = generatorCommand(netns, url, rate, count);
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: (count / rate) * 1000 + 60_000 });
  if (r.status !== 0) throw new Error(`open-loop load on ${url} at ${rate}/s${netns ? ` in ${netns}` : ''}: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as OpenLoopResult;
}

/** How long the generators get to start before the first slice. */
const TURNS_START_MS = 1500;

/**
 * One generator per target, at `rate` for `count` requests each, taking turns in slices of
 * `sliceMs` (Turns); the results in the targets' order.
 */
export async function runOpenLoopsInTurns(targets: { netns?: string; url: string }[], rate: number, count: number, sliceMs: number): Promise<OpenLoopResult[]> {
  const startAt = Date.now() + TURNS_START_MS;
  const runs = targets.map(({ netns, url }, slot) => {
    const [cmd, ...args] = generatorCommand(netns, url, rate, count, { startAt, sliceMs, slot, slots: targets.length });
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill(), TURNS_START_MS + targets.length * (count / rate) * 1000 + 60_000);
    return new Promise<OpenLoopResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(JSON.parse(out) as OpenLoopResult);
        else reject(new Error(`open-loop load on ${url} at ${rate}/s${netns ? ` in ${netns}` : ''}: exit ${code}: ${err}`));
      });
    });
  });
  return Promise.all(runs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, rate, count, startAt, sliceMs, slot, slots] = process.argv.slice(2);
  const turns = startAt === undefined ? undefined : { startAt: Number(startAt), sliceMs: Number(sliceMs), slot: Number(slot), slots: Number(slots) };
  if (!url || !(Number(rate) > 0) || !(Number(count) > 0) || (turns && !(turns.sliceMs > 0 && turns.slots > turns.slot && turns.slot >= 0))) {
    console.error('usage: open-loop.js URL RATE COUNT [START_AT_MS SLICE_MS SLOT SLOTS]');
    process.exit(2);
  }
  openLoop(url, Number(rate), Number(count), turns).then((r) => console.log(JSON.stringify(r)));
}
