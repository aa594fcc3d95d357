// A process's memory at a steady state: after a full garbage collection, which the benchmark asks
// for through the process's inspector (SIGUSR1 opens it, as `node inspect -p <pid>` does). Without
// it the figure is wherever V8 happens to be between collections: right after `skiff up` the
// control plane's young generation holds some 16 MB that V8's memory reducer returns only once
// allocation has been low for a while, tens of seconds later.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

/** Node's default inspector address, where SIGUSR1 opens it. */
const INSPECTOR = '127.0.0.1:9229';

/**
 * The memory only this process holds (private clean + dirty pages): what it adds to the machine.
 * Its RSS also counts the Node binary's pages, which every Node process on the machine shares.
 */
export function privateKb(pid: number): number {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return ['Private_Clean', 'Private_Dirty'].reduce((n, f) => n + Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0), 0);
}

/**
 * A process's private memory by where it lies: V8's pages (anonymous mappings below the addresses
 * the kernel picks for mmap, where V8 places its heap at random hints), malloc's main arena
 * ([heap]), other anonymous mappings (the arenas of other threads, their stacks, large malloc
 * blocks, V8's code pages) and files. It says whose memory grew: V8's heap or malloc's.
 */
export function privateByRegion(pid: number): { v8Kb: number; mainArenaKb: number; mmapKb: number; filesKb: number } {
  const r = { v8Kb: 0, mainArenaKb: 0, mmapKb: 0, filesKb: 0 };
  let into: keyof typeof r = 'filesKb';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const name = m[2]!.trim();
      into = name === '[heap]' ? 'mainArenaKb' : name !== '' ? 'filesKb' : parseInt(m[1]!, 16) >= 0x7f0000000000 ? 'mmapKb' : 'v8Kb';
    } else if (line.startsWith('Private_')) {
      r[into] += Number(/(\d+)/.exec(line)?.[1] ?? 0);
    }
  }
  return r;
}

/** USER_HZ: what /proc counts CPU time in on Linux. */
const TICKS_PER_S = 100;

/** CPU time (user + system, ms) of a process, with that of the children it has waited for if asked; NaN once it is gone. */
export function procCpuMs(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
    return (ticks * 1000) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

interface Session {
  call(method: string, params?: object): Promise<{ result?: { result?: { value?: unknown } }; error?: { message: string } }>;
  close(): void;
}

async function open(pid: number): Promise<Session> {
  process.kill(pid, 'SIGUSR1');
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 100 && targets.length === 0; i++) {
    try {
      targets = (await (await fetch(`http://${INSPECTOR}/json/list`)).json()) as typeof targets;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (targets.length === 0) throw new Error(`opening the inspector of pid ${pid} at ${INSPECTOR}: no answer`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const pending = new Map<number, (m: never) => void>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { id?: number };
    if (m.id !== undefined) pending.get(m.id)?.(m as never);
  });
  const session: Session = {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
  // Another process may hold the port: make sure this inspector is the one of pid.
  const r = await session.call('Runtime.evaluate', { expression: 'process.pid', returnByValue: true });
  if (r.result?.result?.value !== pid) {
    session.close();
    throw new Error(`the inspector at ${INSPECTOR} is not pid ${pid}'s`);
  }
  return session;
}

/**
 * Private memory of pid after two full collections, and how much of it is V8's live heap (the
 * rest is native: malloc arenas, OpenSSL, SQLite's page cache, code pages). The inspector stays
 * open until the process ends (a benchmark's cluster goes down at its end): when it was closed
 * from inside with inspector.close(), the 100-pod metrics benchmark lost its control plane twice
 * (cause not found).
 */
export async function steadyMemory(pid: number): Promise<{ privateKb: number; heapUsedKb: number; heapTotalKb: number; regions: ReturnType<typeof privateByRegion> }> {
  const s = await open(pid);
  try {
    await s.call('HeapProfiler.collectGarbage');
    await s.call('HeapProfiler.collectGarbage');
    const heap = await s.call('Runtime.evaluate', { expression: '[process.memoryUsage().heapUsed, process.memoryUsage().heapTotal]', returnByValue: true });
    const [used, total] = (heap.result?.result?.value as number[] | undefined) ?? [NaN, NaN];
    return { privateKb: privateKb(pid), heapUsedKb: used / 1024, heapTotalKb: total / 1024, regions: privateByRegion(pid) };
  } finally {
    s.close();
  }
}

/** Private memory (KiB) of pid after two full collections. */
export async function steadyPrivateKb(pid: number): Promise<number> {
  return (await steadyMemory(pid)).privateKb;
}
