import http from 'node:http';
import type { ListenAddress } from './corefile.js';

// CoreDNS's `health` (/health on :8080, "OK" while the process runs) and `ready` (/ready on
// :8181, "OK" once every plugin that reports readiness is ready, else 503 naming them) plugins,
// which the Deployment uses as liveness and readiness probes.

export interface HealthEndpoints {
  close(): Promise<void>;
}

function listen(addr: ListenAddress, path: string, answer: () => { status: number; body: string }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const r = url === path ? answer() : { status: 404, body: '404 page not found\n' };
    res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(r.body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening for ${path} on ${addr.host}:${addr.port}: ${e.message}`)));
    server.listen(addr.port, addr.host, () => resolve(server));
  });
}

export async function startHealthEndpoints(o: {
  health?: ListenAddress;
  ready?: ListenAddress;
  /** Names of the plugins not ready yet (CoreDNS: "kubernetes" until its informers synced). */
  notReady: () => string[];
}): Promise<HealthEndpoints> {
  const servers: http.Server[] = [];
  try {
    if (o.health) servers.push(await listen(o.health, '/health', () => ({ status: 200, body: 'OK' })));
    if (o.ready) {
      servers.push(
        await listen(o.ready, '/ready', () => {
          const waiting = o.notReady();
          return waiting.length === 0 ? { status: 200, body: 'OK' } : { status: 503, body: `${waiting.join(',')}\n` };
        }),
      );
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  return {
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
