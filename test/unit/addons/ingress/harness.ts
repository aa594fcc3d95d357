import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { KObject } from '../../../../src/api/types.js';
import { CertificateStore, generateFakeCertificate, type KeyPair } from '../../../../src/addons/proxy/certificates.js';
import { IngressProxy } from '../../../../src/addons/ingress/proxy.js';
import type { RouteTable } from '../../../../src/addons/ingress/routes.js';
import { startListeners, type Listeners } from '../../../../src/addons/ingress/server.js';
import { service, slice, table } from './fixtures.js';

// Local backends and a proxy in front of them, without a cluster: EndpointSlices point at
// 127.0.0.1 and the backends' ephemeral ports.

export interface Backend {
  name: string;
  port: number;
  server: http.Server;
  connections: number;
  close(): Promise<void>;
}

/** A backend answering JSON {backend, method, url, headers, body} unless `handler` is given. */
export async function startBackend(name: string, handler?: http.RequestListener): Promise<Backend> {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(200, { 'Content-Type': 'application/json', Server: 'backend' });
          res.end(JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
        });
      }),
  );
  const b: Backend = {
    name,
    port: 0,
    server,
    connections: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  server.on('connection', () => b.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  b.port = (server.address() as AddressInfo).port;
  return b;
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** EndpointSlices of one Service, one slice per backend port. */
export function slicesFor(serviceName: string, ports: number[]): KObject[] {
  return ports.map((p, i) => {
    const s = slice(serviceName, ['127.0.0.1'], p);
    s.metadata.name = `${serviceName}-${i}`;
    return s;
  });
}

export interface Harness {
  proxy: IngressProxy;
  listeners: Listeners;
  certificates: CertificateStore;
  setTable(t: RouteTable): void;
  url(path: string): string;
  close(): Promise<void>;
}

let fakePair: Promise<KeyPair> | undefined;

export async function startHarness(initial: RouteTable, secrets: KObject[] = [], accessLog?: (line: string) => void): Promise<Harness> {
  fakePair ??= generateFakeCertificate();
  const pair = fakePair;
  const certificates = new CertificateStore(() => pair);
  let current = initial;
  const proxy = new IngressProxy({ routes: () => current, accessLog });
  const setTable = (t: RouteTable) => {
    current = t;
    certificates.update(t.tlsHosts, (ns, name) => secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name));
    proxy.tableChanged(t);
  };
  setTable(initial);
  const listeners = await startListeners({ host: '127.0.0.1', httpPort: 0, httpsPort: 0, proxy, certificates });
  return {
    proxy,
    listeners,
    certificates,
    setTable,
    url: (path) => `http://127.0.0.1:${listeners.httpPort}${path}`,
    async close() {
      await listeners.close();
      proxy.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  port: number,
  opts: { path?: string; host?: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false; tls?: { servername?: string } },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.host !== undefined) headers.host = opts.host;
    const common = { host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers, agent: opts.agent ?? false };
    const req = opts.tls
      ? https.request({ ...common, rejectUnauthorized: false, servername: opts.tls.servername } as https.RequestOptions)
      : http.request(common);
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.end(opts.body);
  });
}

export function json(r: Reply): { backend: string; url: string; method: string; headers: Record<string, string>; body: string } {
  return JSON.parse(r.body) as { backend: string; url: string; method: string; headers: Record<string, string>; body: string };
}

/** One Ingress for host `h` routing `/` (or the given paths) to one Service backed by ports. */
export function simpleTable(
  ports: number[],
  opts: { annotations?: Record<string, string>; host?: string; path?: string; type?: 'Prefix' | 'Exact' | 'ImplementationSpecific'; tls?: boolean } = {},
): RouteTable {
  const host = opts.host ?? 'h.test';
  const ing = ingressObject(host, opts.path ?? '/', opts.type ?? 'Prefix', opts.annotations);
  if (opts.tls) (ing.spec as { tls?: unknown }).tls = [{ hosts: [host], secretName: 'tls' }];
  return table([ing], { services: [service('web', [{ port: 80 }])], slices: slicesFor('web', ports) });
}

function ingressObject(host: string, path: string, type: string, annotations?: Record<string, string>): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default', annotations, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { rules: [{ host, http: { paths: [{ path, pathType: type, backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
}

/** Sends an Upgrade request and resolves with the 101 response and the raw socket. */
export function upgrade(port: number, host: string, path = '/'): Promise<{ res: http.IncomingMessage; socket: Socket; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host, connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
    req.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
    req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}
