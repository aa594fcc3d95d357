// Watches which route a proxy serves, for the propagation benchmark: it asks `url` (with a Host
// header) every POLL ms over one keep-alive connection and prints `<epoch ms> <value>` each time
// the response header it watches changes value. Run as a program inside a pod's network
// namespace (watchRoute spawns it under nsenter); it exits when its parent closes its stdin.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

function watch(target: string, host: string, header: string, pollMs: number): void {
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let last: string | undefined;
  const report = (value: string) => {
    if (value === last) return;
    last = value;
    process.stdout.write(`${epochMs().toFixed(3)} ${value}\n`);
  };
  const ask = () => {
    const req = http.get({ agent, host: url.hostname, port: url.port || 80, path: url.pathname, headers: { host } }, (res) => {
      const seen = res.headers[header.toLowerCase()];
      report(typeof seen === 'string' ? seen : `-${res.statusCode}`);
      res.resume();
      res.on('end', () => setTimeout(ask, pollMs));
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer in 5s')));
    req.on('error', (e) => {
      report(`!${e.message.replace(/\s+/g, '_')}`);
      setTimeout(ask, pollMs);
    });
  };
  ask();
  process.stdin.resume();
  process.stdin.on('close', () => process.exit(0));
}

export interface RouteWatcher {
  name: string;
  /** The value the proxy serves now and when it was first seen (epoch ms). */
  latest(): { value: string; at: number } | undefined;
  /** When `value` was first served after `since` (epoch ms); waits up to timeoutMs. */
  seen(value: string, since: number, timeoutMs: number): Promise<number>;
  stop(): void;
}

/** Starts a watcher of `header` on `url` inside the network namespace at `netns`. */
export function watchRoute(name: string, netns: string, url: string, host: string, header: string, pollMs: number): RouteWatcher {
  const p: ChildProcess = spawn('nsenter', [`--net=${netns}`, process.execPath, fileURLToPath(import.meta.url), url, host, header, String(pollMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const history: { value: string; at: number }[] = [];
  let waiters: (() => void)[] = [];
  createInterface({ input: p.stdout! }).on('line', (line) => {
    const sp = line.indexOf(' ');
    history.push({ at: Number(line.slice(0, sp)), value: line.slice(sp + 1) });
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const find = (value: string, since: number) => history.find((h) => h.at >= since && h.value === value)?.at;
  return {
    name,
    latest: () => history[history.length - 1],
    seen(value, since, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: ${value} not served within ${timeoutMs} ms (last: ${history[history.length - 1]?.value ?? 'nothing'})`)), timeoutMs);
        const check = () => {
          const at = find(value, since);
          if (at !== undefined) {
            clearTimeout(timer);
            resolve(at);
          } else waiters.push(check);
        };
        check();
      });
    },
    stop() {
      p.stdin?.end();
      if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM');
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, host, header, poll] = process.argv.slice(2);
  if (!url || !host || !header || !(Number(poll) >= 0)) {
    console.error('usage: route-watch.js URL HOST HEADER POLL_MS');
    process.exit(2);
  }
  watch(url, host, header, Number(poll));
}
