// wrk, as both Service benchmarks run it: one thread, bounded connections and duration, from
// inside a network namespace (or the host), with the latency distribution parsed out.
import { spawnSync } from 'node:child_process';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  /** Run inside this network namespace (a path under /var/run/netns); the host's otherwise. */
  netnsPath?: string;
  headers?: string[];
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

export function wrk(url: string, o: WrkOptions): WrkResult {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', ...(o.headers ?? []).flatMap((h) => ['-H', h]), url];
  const r = o.netnsPath ? spawnSync('nsenter', [`--net=${o.netnsPath}`, 'wrk', ...args], { encoding: 'utf8' }) : spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk ${url}: ${r.stderr}`);
  const out = r.stdout;
  const lat = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) throw new Error(`wrk ${url}: no ${p}% latency in:\n${out}`);
    return ms(m[1], m[2]);
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, x) => a + Number(x), 0) ?? 0);
  return { rps, p50: lat('50'), p99: lat('99'), errors };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The medians of several rounds against one target, and their errors summed. */
export function summarize(rounds: WrkResult[]): WrkResult {
  return { rps: median(rounds.map((x) => x.rps)), p50: median(rounds.map((x) => x.p50)), p99: median(rounds.map((x) => x.p99)), errors: rounds.reduce((a, x) => a + x.errors, 0) };
}

/**
 * Loads each path once to warm it up (JIT of the servers, ARP, conntrack, upstream pools), then
 * all of them in turn, `rounds` times; each path's medians by name.
 */
export function loadInTurn(paths: [name: string, url: string][], rounds: number, load: (url: string) => WrkResult): Map<string, WrkResult> {
  for (const [, url] of paths) load(url);
  const results = new Map<string, WrkResult[]>(paths.map(([p]) => [p, []]));
  for (let r = 0; r < rounds; r++) for (const [name, url] of paths) results.get(name)!.push(load(url));
  return new Map([...results].map(([name, rs]) => [name, summarize(rs)]));
}

/** One path's figures, as the proxy benchmarks print them. */
export function figures(name: string, s: WrkResult): string {
  return `${name.padEnd(15)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  errors ${s.errors}`;
}
