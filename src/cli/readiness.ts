// Waiting for a freshly started API server: GET /readyz over TLS with the cluster's CA and the
// admin token, the same trust kubectl will use, until it answers 200.
import { request, Agent } from 'node:https';

export interface ReadinessTarget {
  port: number;
  caCertPem: string;
  token: string;
}

export type ProbeResult = { ready: true } | { ready: false; reason: string };

export function probeReadyz(t: ReadinessTarget, agent: Agent, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        path: '/readyz',
        method: 'GET',
        agent,
        headers: { authorization: `Bearer ${t.token}`, accept: 'text/plain' },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode === 200 ? { ready: true } : { ready: false, reason: `/readyz answered ${res.statusCode}` });
        });
        res.on('error', (err) => resolve({ ready: false, reason: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from /readyz within ${timeoutMs}ms`)));
    req.on('error', (err) => resolve({ ready: false, reason: err.message }));
    req.end();
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Resolves (with a reason) when waiting is pointless, e.g. the process exited. */
  abandon?: Promise<string>;
}

/** Resolves when ready; rejects with the last reason after the timeout or as soon as `abandon` settles. */
export async function waitForReady(t: ReadinessTarget, o: WaitOptions): Promise<void> {
  const agent = new Agent({ ca: t.caCertPem, keepAlive: true, maxSockets: 1 });
  const abandoned: Promise<never> = o.abandon
    ? o.abandon.then((reason) => Promise.reject(new Error(reason)))
    : new Promise<never>(() => {});
  abandoned.catch(() => {}); // observed through the races below
  const deadline = Date.now() + o.timeoutMs;
  try {
    for (;;) {
      const r = await Promise.race([probeReadyz(t, agent), abandoned]);
      if (r.ready) return;
      if (Date.now() >= deadline) throw new Error(`not ready after ${Math.round(o.timeoutMs / 1000)}s (last: ${r.reason})`);
      await Promise.race([new Promise((res) => setTimeout(res, o.intervalMs)), abandoned]);
    }
  } finally {
    agent.destroy();
  }
}
