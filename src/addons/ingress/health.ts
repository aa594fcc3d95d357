import http from 'node:http';
import type { AddressInfo } from 'node:net';

// ingress-nginx's /healthz on 10254: 200 "ok" once the controller has synced its informers and
// programmed its routes, 500 before; the Deployment's readiness probe asks it.

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export function startHealthServer(port: number, ready: () => boolean, host = '0.0.0.0'): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(ok ? 'ok' : 'controller not ready: informers have not synced or routes are not programmed yet\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('404 page not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening for /healthz on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    );
  });
}
