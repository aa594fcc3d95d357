// The processes bench/mesh-proxy-cpu.bench.ts forks, by its first argument:
// - `backend`: an HTTP/1.1 keep-alive server that answers every request with nginx:1.27's
//   default page head and a body of the same size, so that the load and the proxies are what
//   costs CPU;
// - `proxy`: the mesh proxy's request path as ztunnel runs it (GatewayProxy behind
//   GatewayListeners, access log included) with one mesh listener, 127.0.0.2 being the Service's
//   address, routed to the backend by istiod's default route for a Service;
// - `relay`: a bare Node TCP relay (one upstream connection per client connection, piped both
//   ways), the least a proxy written on Node's sockets pays per request.
// Each tells the parent when it listens ('ready') and answers 'cpu' with its process.cpuUsage().
import { openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { AccessLogSink } from '../src/addons/proxy/access-log-sink.js';
import { GatewayListeners } from '../src/addons/istio/gateway/listeners.js';
import { GatewayProxy } from '../src/addons/istio/gateway/proxy.js';
import { DEFAULT_RETRY } from '../src/addons/istio/config/routes.js';
import type { ProxyConfig } from '../src/addons/istio/config/types.js';

export const PROXY_PORT = 18_480;
export const BACKEND_PORT = 18_481;
/** The address clients dial, as a meshed pod dials a ClusterIP: the proxy's virtual host is chosen by it. */
export const SERVICE_ADDRESS = '127.0.0.2';

const BODY = 'x'.repeat(615);
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\nDate: Sat, 05 Dec 2026 12:00:00 GMT\r\nContent-Type: text/html\r\n' +
    `Content-Length: ${BODY.length}\r\nLast-Modified: Wed, 16 Apr 2025 12:01:11 GMT\r\nConnection: keep-alive\r\nETag: "67ff9c07-267"\r\nAccept-Ranges: bytes\r\n\r\n${BODY}`,
  'latin1',
);

function backend(): net.Server {
  return net.createServer((s) => {
    s.setNoDelay(true);
    let pending = '';
    s.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(end + 4);
        s.write(RESPONSE);
      }
    });
    s.on('error', () => s.destroy());
  });
}

function relay(): net.Server {
  return net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: '127.0.0.1', port: BACKEND_PORT, noDelay: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
}

async function proxy(): Promise<void> {
  const devNull = openSync('/dev/null', 'w');
  const log = new AccessLogSink((chunk) => writeSync(devNull, chunk));
  const p = new GatewayProxy(log.write);
  const cluster = `outbound|80||web.default.svc.cluster.local`;
  const config: ProxyConfig = {
    version: 'bench',
    listeners: [
      {
        port: PROXY_PORT,
        serverPort: PROXY_PORT,
        protocol: 'HTTP',
        virtualHosts: [{ domains: [SERVICE_ADDRESS], routes: [{ name: 'default', matches: [], action: { kind: 'route', clusters: [{ cluster, weight: 100 }], retry: DEFAULT_RETRY } }] }],
        // An unnamed Service port, as `kubectl expose` makes: the protocol is sniffed.
        mesh: { tcp: {}, sniff: { [SERVICE_ADDRESS]: cluster } },
      },
    ],
    clusters: { [cluster]: { endpoints: [{ address: '127.0.0.1', port: BACKEND_PORT, key: `127.0.0.1:${BACKEND_PORT}` }], lb: 'LEAST_REQUEST' } },
    secrets: {},
    workloads: { '127.0.0.1': { namespace: 'default', labels: { run: 'client' } } },
  };
  p.update(config);
  const listeners = new GatewayListeners(p, (m) => process.stderr.write(`${m}\n`));
  await listeners.apply(config);
  if (listeners.ports().length !== 1) throw new Error(`the mesh proxy could not listen on :${PROXY_PORT}`);
}

async function main(role: string | undefined): Promise<void> {
  const listen = (server: net.Server, port: number, host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  if (role === 'backend') await listen(backend(), BACKEND_PORT, '127.0.0.1');
  else if (role === 'relay') await listen(relay(), PROXY_PORT, '0.0.0.0');
  else if (role === 'proxy') await proxy();
  else throw new Error(`usage: proxy-cpu-child.js backend|proxy|relay (got ${role})`);
  process.on('message', (m) => {
    if (m === 'cpu') process.send!(process.cpuUsage());
  });
  process.on('disconnect', () => process.exit(0));
  process.send!('ready');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).catch((e: Error) => {
    console.error(`${process.argv[2]}: ${e.message}`);
    process.exit(1);
  });
}
