import { notifyReady } from '../ready.js';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { KeyPair } from '../proxy/certificates.js';
import { startHealthServer } from './health.js';
import type { Logger } from '../../log.js';

// nginx's `worker_processes auto`: one proxy process per CPU. Each worker runs the whole
// controller (its own informers and route table: the API is the only door, and a worker needs
// nothing from another) and accepts on the shared :80/:443 sockets, the kernel spreading the
// connections. The primary serves /healthz (ready once every worker is), restarts a worker that
// dies, and hands SIGTERM on. One worker writes Ingress status; all present the same default
// certificate, made once by the primary after every worker serves (an RSA key is a quarter of a
// second of CPU that the start of the controller need not wait for) and sent to each of them.

export const WORKER_INDEX_ENV = 'SKIFF_INGRESS_WORKER';

/**
 * SKIFF_INGRESS_WORKERS, else one per two CPUs (at most 4): on one machine the pods behind the
 * ingress and the clients share the CPUs with it. On 2 CPUs a second worker measured about 8%
 * more requests per second but a worse p99 (bench/ingress.bench.ts, BENCH_INGRESS_WORKERS=2),
 * and every worker is a whole controller with its own watches and memory.
 */
export function workerCount(env: NodeJS.ProcessEnv = process.env, cpus: number = availableParallelism()): number {
  const n = Number(env.SKIFF_INGRESS_WORKERS);
  if (Number.isInteger(n) && n >= 1) return n;
  return Math.max(1, Math.min(4, Math.floor(cpus / 2)));
}

export interface WorkerRole {
  index: number;
  /** The shared default certificate, once the primary has sent it. */
  fakePair: Promise<KeyPair>;
}

interface FakeCertificateMessage {
  type: 'fake-certificate';
  pair: KeyPair;
}

/** In a worker: its index and the shared default certificate. */
export function workerRole(): WorkerRole | undefined {
  if (!cluster.isWorker) return undefined;
  const fakePair = new Promise<KeyPair>((resolve) => {
    const onMessage = (m: Partial<FakeCertificateMessage>) => {
      if (m?.type !== 'fake-certificate' || !m.pair) return;
      process.off('message', onMessage);
      resolve(m.pair);
    };
    process.on('message', onMessage);
  });
  return { index: Number(process.env[WORKER_INDEX_ENV] ?? 0), fakePair };
}

/** Tells the primary this worker synced and programmed its routes. */
export function reportReady(): void {
  process.send?.({ type: 'ready' });
}

export async function runPrimary(o: {
  count: number;
  healthzPort: number;
  bindAddress: string;
  makeFakePair: () => Promise<KeyPair>;
  log: Logger;
}): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const ready = new Set<number>();
  const byIndex = new Map<number, Worker>();
  let stopping = false;
  let fakePair: Promise<KeyPair> | undefined;
  const sendFakePair = (w: Worker) => {
    void fakePair?.then(
      (pair) => {
        if (w.isConnected()) w.send({ type: 'fake-certificate', pair } satisfies FakeCertificateMessage);
      },
      () => {},
    );
  };
  const fork = (index: number) => {
    const w = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    byIndex.set(index, w);
    w.on('message', (m: { type?: string }) => {
      if (m?.type !== 'ready') return;
      ready.add(index);
      if (ready.size === o.count && !fakePair) {
        // The runtime reports the container started when every worker serves (read once).
        notifyReady();
        fakePair = o.makeFakePair();
        fakePair.catch((e: Error) => o.log('error', `generating the default certificate: ${e.message}`));
        for (const each of byIndex.values()) sendFakePair(each);
        return;
      }
      // A worker started again gets the certificate the others have.
      sendFakePair(w);
    });
    w.on('exit', (code, signal) => {
      ready.delete(index);
      if (stopping) return;
      o.log('error', `worker ${index} exited (${signal ?? `code ${code}`}); starting it again`);
      setTimeout(() => fork(index), 1000);
    });
  };
  for (let i = 0; i < o.count; i++) fork(i);
  const health = await startHealthServer(o.healthzPort, () => ready.size === o.count, o.bindAddress);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    o.log('info', 'Received SIGTERM, shutting down');
    const deadline = setTimeout(() => process.exit(0), 28_000);
    deadline.unref();
    const exits = [...byIndex.values()].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of byIndex.values()) w.process.kill('SIGTERM');
    void Promise.allSettled([health.close(), ...exits]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
