// `fortio load`: the periodic runner (periodic.Run/runOne: threads at a target qps or at max
// speed, for exactly -n calls or for -t) over fortio's HTTP client, and the report fortio prints
// on stderr as the run ends: the function-time histogram and percentiles, sockets per thread,
// the count of each HTTP code, the header and body sizes, and the "All done" line.
import { availableParallelism, hostname } from 'node:os';
import { FastClient, codeIsOK, parseTarget, type ClientOptions } from './fortio-client.js';
import { INFO, VERBOSE, WARNING, log, logs } from './fortio-log.js';
import { Counter, Histogram, printHistogram } from './fortio-stats.js';
import { goDuration, goFloat } from './go-format.js';

export interface LoadOptions {
  url: string;
  /** -qps as given: ≤ 0 is max speed. */
  qps: number;
  threads: number;
  /** -t in nanoseconds; ≤ 0 runs until interrupted. */
  durationNs: number;
  /** -n; 0 uses the duration. */
  exactly: number;
  percentiles: number[];
  resolution: number;
  /** -offset, seconds. */
  offset: number;
  jitter: boolean;
  uniform: boolean;
  noCatchUp: boolean;
  allowInitialErrors: boolean;
  abortOn: number;
  client: Omit<ClientOptions, 'url' | 'id' | 'run' | 'resolution' | 'offset'>;
  version: string;
  /** -gomaxprocs: what GOMAXPROCS is set to (< 1 keeps the default, the CPUs available). */
  gomaxprocs: number;
  /** Resolves when the run is to stop early (SIGINT). */
  interrupted: Promise<void>;
}

interface ThreadState {
  client: FastClient;
  codes: Map<number, number>;
  sizes: Histogram;
  headerSizes: Histogram;
  funcTimes: Histogram;
  errTimes: Histogram;
  sleepTimes: Histogram;
}

/** Nanoseconds since `t` (a process.hrtime.bigint() reading), as Go's time.Since. */
const since = (t: bigint) => Number(process.hrtime.bigint() - t);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** ±10% of the sleep (getJitter). */
function jitterOf(ns: number): number {
  return (Math.random() * 0.2 - 0.1) * ns;
}

interface Plan {
  numCalls: number;
  leftOver: number;
  threads: number;
}

/** runQPSSetup / runMaxQPSSetup: calls per thread, and the "Starting at" line. */
function plan(o: LoadOptions, qps: number, gomax: number, out: (s: string) => void): Plan {
  let threads = o.threads;
  const hasDuration = o.durationNs > 0;
  const useExactly = o.exactly > 0;
  if (qps > 0) {
    if (!hasDuration && !useExactly) {
      out(`Starting at ${goFloat(qps)} qps with ${threads} thread(s) [gomax ${gomax}] until interrupted\n`);
      return { numCalls: 0, leftOver: 0, threads };
    }
    let numCalls = useExactly ? o.exactly : Math.trunc((qps * o.durationNs) / 1e9);
    if (numCalls < 2) {
      log(WARNING, { file: 'periodic.go', line: 441 }, 'Increasing the number of calls to the minimum of 2 with 1 thread. total duration will increase');
      numCalls = 2;
      threads = 1;
    }
    if (2 * threads > numCalls) {
      const newN = Math.trunc(numCalls / 2);
      log(WARNING, { file: 'periodic.go', line: 447 }, `Lowering number of threads - total call ${numCalls} -> lowering from ${threads} to ${newN} threads`);
      threads = newN;
    }
    const perThread = Math.trunc(numCalls / threads);
    const total = perThread * threads;
    const leftOver = useExactly ? o.exactly - total : 0;
    if (logs(WARNING)) {
      if (useExactly) out(`Starting at ${goFloat(qps)} qps with ${threads} thread(s) [gomax ${gomax}] : exactly ${o.exactly}, ${perThread} calls each (total ${total} + ${leftOver})\n`);
      else out(`Starting at ${goFloat(qps)} qps with ${threads} thread(s) [gomax ${gomax}] for ${goDuration(o.durationNs)} : ${perThread} calls each (total ${total})\n`);
    }
    return { numCalls: perThread, leftOver, threads };
  }
  if (!useExactly && !hasDuration) {
    out(`Starting at max qps with ${threads} thread(s) [gomax ${gomax}] until interrupted\n`);
    return { numCalls: 0, leftOver: 0, threads };
  }
  if (useExactly) {
    const numCalls = Math.trunc(o.exactly / threads);
    const leftOver = o.exactly % threads;
    if (logs(WARNING)) out(`Starting at max qps with ${threads} thread(s) [gomax ${gomax}] for exactly ${o.exactly} calls (${numCalls} per thread + ${leftOver})\n`);
    return { numCalls, leftOver, threads };
  }
  if (logs(WARNING)) out(`Starting at max qps with ${threads} thread(s) [gomax ${gomax}] for ${goDuration(o.durationNs)}\n`);
  return { numCalls: 0, leftOver: 0, threads };
}

/** One thread's calls (runOne). */
async function runOne(id: number, s: ThreadState, numCalls: number, startNs: bigint, qps: number, threads: number, o: LoadOptions, stop: { stopped: boolean }): Promise<void> {
  const perThreadQPS = qps / threads;
  const useQPS = perThreadQPS > 0;
  const hasDuration = o.durationNs > 0;
  const useExactly = o.exactly > 0;
  let start = startNs;
  if (useQPS && o.uniform) {
    const between = 1 / perThreadQPS;
    const delay = between - (between / threads) * (threads - id);
    start += BigInt(Math.round(delay * 1e9));
    await sleep(delay * 1000);
  }
  let i = 0;
  for (;;) {
    const fStart = process.hrtime.bigint();
    if (!useExactly && hasDuration && since(startNs) > o.durationNs) {
      if (!useQPS) break;
      if (i >= 2 && i !== numCalls - 1) {
        log(WARNING, { file: 'periodic.go', line: 813 }, `T${String(id).padStart(3, '0')} warning only did ${i} out of ${numCalls} calls before reaching ${goDuration(o.durationNs)}`);
        break;
      }
    }
    const r = await s.client.fetch();
    const latency = since(fStart) / 1e9;
    s.codes.set(r.code, (s.codes.get(r.code) ?? 0) + 1);
    s.sizes.record(r.size);
    s.headerSizes.record(r.headerLen);
    if (o.abortOn === r.code) {
      stop.stopped = true;
      log(INFO, { file: 'httprunner.go', line: 75 }, 'Aborted run because of http code', { run: 0, code: r.code, size: r.size });
    }
    s.funcTimes.record(latency);
    if (!codeIsOK(r.code)) s.errTimes.record(latency);
    if (useQPS) {
      let done = false;
      for (;;) {
        i++;
        if ((useExactly || hasDuration) && i >= numCalls) {
          done = true;
          break;
        }
        const target = hasDuration ? (i + i / (numCalls - 1)) / perThreadQPS : i / perThreadQPS;
        let sleepNs = Math.trunc(target * 1e9) - since(start);
        if (o.noCatchUp && sleepNs < 0) continue;
        if (o.jitter) sleepNs += jitterOf(sleepNs);
        s.sleepTimes.record(sleepNs / 1e9);
        await sleep(sleepNs / 1e6);
        break;
      }
      if (done || stop.stopped) break;
    } else {
      i++;
      if ((useExactly && i >= numCalls) || stop.stopped) break;
    }
  }
  const elapsedNs = since(start);
  log(INFO, { file: 'periodic.go', line: 882 }, `T${String(id).padStart(3, '0')} ended after ${goDuration(elapsedNs)} : ${i} calls. qps=${goFloat(i / (elapsedNs / 1e9))}`);
}

/** Runs the load and prints fortio's report; the exit status. */
export async function runLoad(o: LoadOptions): Promise<number> {
  const out = (s: string) => process.stderr.write(s);
  const procs = availableParallelism();
  const gomax = o.gomaxprocs >= 1 ? o.gomaxprocs : procs;
  let head = `Fortio ${o.version} running at ${goFloat(o.qps)} queries per second, ${procs}->${gomax} procs`;
  if (o.exactly > 0) head += `, for ${o.exactly} calls: ${o.url}\n`;
  else if (o.durationNs <= 0) head += `, until interrupted: ${o.url}\n`;
  else head += `, for ${goDuration(o.durationNs)}: ${o.url}\n`;
  out(head);
  const qps = o.qps <= 0 ? -1 : o.qps;
  const threads = o.threads === 0 ? 4 : Math.max(1, o.threads);
  log(INFO, { file: 'httprunner.go', line: 119 }, 'Starting http test', { run: 0, url: o.url, threads, qps: qps.toFixed(1), warmup: 'parallel', 'conn-reuse': '' });
  const target = parseTarget(o.url);
  if ('error' in target) {
    out(`Aborting because of ${target.error}\n`);
    return 1;
  }
  log(VERBOSE, { file: 'fortio_main.go', line: 408 }, `Generated Labels: ${o.url.replace(/^https?:\/\//, '')} , ${hostname().split('.')[0]}`);
  const states: ThreadState[] = [];
  for (let id = 0; id < threads; id++) {
    const client = new FastClient({ ...o.client, url: o.url, id, run: 0, resolution: o.resolution, offset: o.offset }, target);
    if (!(await client.init())) {
      out(`Aborting because of lookup ${target.hostname}: no such host\n`);
      return 1;
    }
    states.push({
      client, codes: new Map(), sizes: new Histogram(0, 100), headerSizes: new Histogram(0, 5),
      funcTimes: new Histogram(o.offset, o.resolution), errTimes: new Histogram(o.offset, o.resolution), sleepTimes: new Histogram(-0.001, 0.001),
    });
  }
  if (o.exactly <= 0) {
    const warm = await Promise.all(states.map((s) => s.client.fetch()));
    const bad = warm.find((r) => !codeIsOK(r.code));
    if (bad && !o.allowInitialErrors) {
      for (const s of states) s.client.close();
      out(`Aborting because of error ${bad.code} for ${o.url} (${bad.size} bytes)\n`);
      return 1;
    }
  }
  const p = plan(o, qps, gomax, out);
  const stop = { stopped: false };
  void o.interrupted.then(() => (stop.stopped = true));
  const startNs = process.hrtime.bigint();
  const running = states.slice(0, p.threads);
  await Promise.all(running.map((s, id) => runOne(id, s, p.numCalls + (id === 0 ? p.leftOver : 0), startNs, qps, p.threads, o, stop)));
  const elapsedNs = since(startNs);
  const total = {
    funcTimes: new Histogram(o.offset, o.resolution), errTimes: new Histogram(o.offset, o.resolution), sleepTimes: new Histogram(-0.001, 0.001),
    sizes: new Histogram(0, 100), headerSizes: new Histogram(0, 5), connect: new Histogram(o.offset, o.resolution),
  };
  for (const s of running) {
    total.funcTimes.transferHistogram(s.funcTimes);
    total.errTimes.transferHistogram(s.errTimes);
    total.sleepTimes.transferHistogram(s.sleepTimes);
  }
  const actualQPS = total.funcTimes.count / (elapsedNs / 1e9);
  if (logs(WARNING)) out(`Ended after ${goDuration(elapsedNs)} : ${total.funcTimes.count} calls. qps=${goFloat(actualQPS, 5)}\n`);
  if (qps > 0) out(sleepReport(total.sleepTimes));
  const durations = total.funcTimes.export(o.percentiles);
  if (logs(WARNING)) {
    out(printHistogram(durations, 'Aggregated Function Time'));
    out(printHistogram(total.errTimes.export(o.percentiles), 'Error cases'));
  } else {
    out(total.funcTimes.line('Aggregated Function Time'));
    for (const pc of durations.percentiles) out(`# target ${goFloat(pc.percentile)}% ${goFloat(pc.value, 6)}\n`);
    out(total.errTimes.line('Error cases'));
  }
  out(socketReport(running, total, o));
  const warmup = o.exactly > 0 ? 0 : threads;
  out(`All done ${durations.count} calls (plus ${warmup} warmup) ${(1000 * durations.avg).toFixed(3)} ms avg, ${actualQPS.toFixed(1)} qps\n`);
  return 0;
}

/** The sleep-time summary of a qps run, with the histogram when over 5% of sleeps fell behind. */
function sleepReport(sleepTimes: Histogram): string {
  const behind = (100 * sleepTimes.hdata[0]) / sleepTimes.count;
  if (behind > 5) return `${printHistogram(sleepTimes.export([50]), 'Aggregated Sleep Time')}WARNING ${behind.toFixed(2)}% of sleep were falling behind\n`;
  if (logs(VERBOSE)) return printHistogram(sleepTimes.export([50]), 'Aggregated Sleep Time');
  if (logs(WARNING)) return sleepTimes.line('Sleep times');
  return '';
}

/** Occurrence.AggregateAndToString: the one address, or `[a (n), b (m)]`. */
function addressesOf(addresses: Map<string, number>): string {
  if (addresses.size === 1) return [...addresses.keys()][0];
  return `[${[...addresses].map(([k, v]) => `${k} (${v})`).join(', ')}]`;
}

function socketReport(
  running: ThreadState[],
  total: { sizes: Histogram; headerSizes: Histogram; connect: Histogram; funcTimes: Histogram },
  o: LoadOptions,
): string {
  let out = '# Socket and IP used for each connection:\n';
  const codes = new Map<number, number>();
  const ips = new Map<string, number>();
  let sockets = 0;
  running.forEach((s, i) => {
    const conn = new Counter();
    conn.transfer(s.client.connectStats);
    out += `[${i}] ${String(s.client.socketCount).padStart(3)} socket used, resolved to ${addressesOf(s.client.addresses)}${conn.line(', connection timing')}`;
    for (const [k, v] of s.client.addresses) ips.set(k, (ips.get(k) ?? 0) + v);
    s.client.close();
    sockets += s.client.socketCount;
    for (const [k, v] of s.codes) codes.set(k, (codes.get(k) ?? 0) + v);
    total.sizes.transferHistogram(s.sizes);
    total.headerSizes.transferHistogram(s.headerSizes);
    total.connect.transferHistogram(s.client.connectStats);
  });
  if (logs(INFO)) out += printHistogram(total.connect.export(o.percentiles), 'Connection time histogram (s)');
  else if (logs(WARNING)) out += total.connect.line('Connection time (s)');
  out += `Sockets used: ${sockets} (for perfect keepalive, would be ${running.length})\n`;
  out += `Uniform: ${o.uniform}, Jitter: ${o.jitter}, Catchup allowed: ${!o.noCatchUp}\n`;
  out += 'IP addresses distribution:\n';
  for (const [ip, n] of [...ips].sort((a, b) => b[1] - a[1])) out += `${ip}: ${n}\n`;
  const count = total.funcTimes.count;
  for (const code of [...codes.keys()].sort((a, b) => a - b)) {
    const n = codes.get(code)!;
    out += `Code ${String(code).padStart(3)} : ${n} (${((100 * n) / count).toFixed(1)} %)\n`;
  }
  if (logs(VERBOSE)) {
    out += printHistogram(total.headerSizes.export(), 'Response Header Sizes Histogram');
    out += printHistogram(total.sizes.export(), 'Response Body/Total Sizes Histogram');
  } else if (logs(WARNING)) {
    out += total.headerSizes.line('Response Header Sizes');
    out += total.sizes.line('Response Body/Total Sizes');
  }
  return out;
}
