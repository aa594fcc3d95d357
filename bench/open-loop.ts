// A constant-rate (open-loop) HTTP/1.1 load generator, the part of wrk2 or fortio's -qps the
// mesh benchmark needs: request i is sent at start + i/rate whether or not earlier ones have been
// answered, over a pool of keep-alive connections, for a bounded count. Run as a program inside
// a pod's network namespace (runOpenLoop spawns it under nsenter), it prints one JSON line.
//
// Latency is timed from the moment each request is written, so the event loop's timer jitter
// (≈ 1 ms, the size of the effect being measured) does not enter it; how late each send was
// against its schedule is reported apart (lag), to show the generator kept the rate.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
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

export function openLoop(target: string, rate: number, count: number): Promise<OpenLoopResult> {
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const period = 1000 / rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  let proxied = 0;
  let done = 0;
  let sent = 0;
  const start = performance.now() + 10;
  return new Promise((resolve) => {
    const finish = () => {
      if (++done < count) return;
      const end = performance.now();
      agent.destroy();
      latencies.sort((a, b) => a - b);
      lags.sort((a, b) => a - b);
      resolve({
        requests: count,
        errors,
        proxied,
        rate: count / ((end - start) / 1000),
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? NaN,
        lagP99: percentile(lags, 99),
      });
    };
    const send = (scheduled: number) => {
      const t = performance.now();
      lags.push(t - scheduled);
      const req = http.get({ agent, host: url.hostname, port: url.port || 80, path: url.pathname + url.search }, (res) => {
        if ((res.statusCode ?? 0) >= 300) errors++;
        if (res.headers['x-envoy-upstream-service-time'] !== undefined) proxied++;
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t);
          finish();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10s')));
      req.on('error', () => {
        errors++;
        finish();
      });
    };
    const tick = () => {
      const now = performance.now();
      for (; sent < count && start + sent * period <= now; sent++) send(start + sent * period);
      if (sent < count) setTimeout(tick, Math.max(0, start + sent * period - performance.now()));
    };
    setTimeout(tick, 10);
  });
}

/** Runs the generator, inside a network namespace (a path for nsenter) if given, and returns its result. */
export function runOpenLoop(netns: string | undefined, url: string, rate: number, count: number): OpenLoopResult {
  const generator = [process.execPath, fileURLToPath(import.meta.url), url, String(rate), String(count)];
  const [cmd, ...args] = netns ? ['nsenter', `--net=${netns}`, ...generator] : generator;
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: (count / rate) * 1000 + 60_000 });
  if (r.status !== 0) throw new Error(`open-loop load on ${url} at ${rate}/s${netns ? ` in ${netns}` : ''}: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as OpenLoopResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, rate, count] = process.argv.slice(2);
  if (!url || !(Number(rate) > 0) || !(Number(count) > 0)) {
    console.error('usage: open-loop.js URL RATE COUNT');
    process.exit(2);
  }
  openLoop(url, Number(rate), Number(count)).then((r) => console.log(JSON.stringify(r)));
}
