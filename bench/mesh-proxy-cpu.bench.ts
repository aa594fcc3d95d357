// What one request costs the mesh proxy in CPU, and how much of it any Node proxy pays: the mesh
// proxy's request path (as ztunnel runs it, proxy-cpu-child.ts) and a bare Node TCP relay, each
// alone in its process in front of the same keep-alive backend on this host's loopback, under
// the mesh benchmark's load (RATE requests/s, open loop, open-loop.ts) and under wrk's closed
// loop, where requests share wake-ups. The figure is the process's CPU time (process.cpuUsage,
// user + system, which a loaded machine inflates less than wall time) per request; the two
// programs alternate, ROUNDS times, and the medians are printed.
//
// Why: at 1,000 requests/s every request wakes the proxy twice (the client's request, the
// endpoint's answer), and each wake-up costs a context switch and cold caches whatever the
// proxy then does; the relay pays those too, so the difference between the two programs is what
// the L7 work (parsing, routing, headers, retries' bookkeeping, the access log) costs. No
// threshold fails the run.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runOpenLoop } from './open-loop.js';
import { PROXY_PORT, SERVICE_ADDRESS } from './proxy-cpu-child.js';
import { median, wrk } from './wrk.js';
import { runBench } from './run.js';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const COUNT = Number(process.env.BENCH_REQUESTS ?? 8000);
const WRK_SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET = `http://${SERVICE_ADDRESS}:${PROXY_PORT}/`;
const CHILD = fileURLToPath(new URL('./proxy-cpu-child.js', import.meta.url));

function start(role: string): Promise<ChildProcess> {
  const child = fork(CHILD, [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`${role}: unexpected message ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`the ${role} process exited (${code}) before it was ready`)));
  });
}

function cpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (u) => resolve(((u as NodeJS.CpuUsage).user + (u as NodeJS.CpuUsage).system) / 1000));
    child.send('cpu');
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface Round {
  openLoopUs: number;
  closedLoopUs: number;
  rps: number;
  p50: number;
  p90: number;
}

/** One round with the program in front of the backend: CPU per request at the fixed rate, then under wrk. */
async function round(role: string): Promise<Round> {
  const child = await start(role);
  try {
    runOpenLoop(undefined, TARGET, RATE, Math.min(COUNT, 2 * RATE)); // warm-up: JIT, the upstream pool
    const t0 = await cpuMs(child);
    const ol = runOpenLoop(undefined, TARGET, RATE, COUNT);
    if (ol.errors > 0) throw new Error(`${role}: ${ol.errors} of ${ol.requests} requests failed`);
    const t1 = await cpuMs(child);
    const w = wrk(TARGET, { connections: 8, seconds: WRK_SECONDS });
    if (w.errors > 0) throw new Error(`${role}: wrk saw ${w.errors} errors`);
    const t2 = await cpuMs(child);
    return { openLoopUs: (1000 * (t1 - t0)) / COUNT, closedLoopUs: (1000 * (t2 - t1)) / (w.rps * WRK_SECONDS), rps: w.rps, p50: ol.p50, p90: ol.p90 };
  } finally {
    await stop(child);
  }
}

async function main(): Promise<void> {
  const backend = await start('backend');
  try {
    const roles: [string, string][] = [
      ['mesh proxy', 'proxy'],
      ['Node TCP relay', 'relay'],
    ];
    const rounds = new Map<string, Round[]>(roles.map(([name]) => [name, []]));
    for (let r = 0; r < ROUNDS; r++) for (const [name, role] of roles) rounds.get(name)!.push(await round(role));
    const med = (name: string, k: keyof Round) => median(rounds.get(name)!.map((x) => x[k]));
    console.log(`mesh proxy CPU: ${RATE} req/s open loop × ${COUNT} requests, then wrk -c8 ${WRK_SECONDS}s, on loopback in front of a keep-alive backend, × ${ROUNDS} rounds (medians)`);
    for (const [name] of roles) {
      console.log(
        `  ${name.padEnd(15)} ${med(name, 'openLoopUs').toFixed(1).padStart(6)} µs/request at ${RATE}/s (p50 ${med(name, 'p50').toFixed(3)} ms, p90 ${med(name, 'p90').toFixed(3)} ms)  ` +
          `${med(name, 'closedLoopUs').toFixed(1).padStart(6)} µs/request closed loop (${med(name, 'rps').toFixed(0)} req/s)`,
      );
    }
    const [proxy, relay] = [roles[0]![0], roles[1]![0]];
    console.log(
      `  the L7 work: ${(med(proxy, 'openLoopUs') - med(relay, 'openLoopUs')).toFixed(1)} µs/request at ${RATE}/s, ${(med(proxy, 'closedLoopUs') - med(relay, 'closedLoopUs')).toFixed(1)} µs closed loop; ` +
        `wake-ups at ${RATE}/s: ${(med(proxy, 'openLoopUs') - med(proxy, 'closedLoopUs')).toFixed(1)} µs/request of the proxy's`,
    );
  } finally {
    await stop(backend);
  }
}

runBench(main);
