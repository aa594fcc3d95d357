import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ipv4InCIDR } from '../../cluster/ipv4.js';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { IContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
import type { KObject } from '../../api/types.js';
import type { Pod } from '../../client/resources.js';
import type { Clock, PodRuntime } from './cri.js';
import { logTarget, parseLogQuery } from './logs.js';
import { PortForwardHandler } from './portforward.js';
import { expectedSpdyStreams, selectProtocol, serveWebSocketExec, SPDY_EXEC_PROTOCOLS, SpdyExecHandler } from './remotecommand.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { StatsCollector } from './stats.js';

// The kubelet's HTTP endpoints on <nodeDir>/kubelet.sock: container logs, exec and
// port-forward (WebSocket or SPDY upgrades the apiserver passes through), the resource
// endpoints, and CONNECT tunnels into the pod network for the apiserver's aggregation layer
// (the apiserver lives outside every node's network namespace). The resource endpoints are also
// served on the node's port 10250 over HTTPS for metrics-server, as the kubelet does with its
// defaults (anonymous authentication, AlwaysAllow authorization); that port serves only the
// read-only resource endpoints, not exec or logs, since nothing authenticates its clients.

export const PORT_FORWARD_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PodLookup {
  /** The pod as last reported (spec + status) by namespace/name, or undefined. */
  pod(namespace: string, name: string): KObject | undefined;
  pods(): KObject[];
}

export interface KubeletServerOptions {
  socketPath: string;
  nodeName: string;
  runtime: PodRuntime;
  lookup: PodLookup;
  clock: Clock;
  log: (level: 'debug' | 'info' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** The pod network: the only addresses a CONNECT tunnel may lead to. */
  podCIDR?: string;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function rejectUpgrade(socket: Duplex, code: number, body: string): void {
  const reason = STATUS_CODES[code] ?? 'Error';
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

interface Target {
  pod: KObject;
  uid: string;
  container?: string;
}

/** Init and app container statuses of a pod the kubelet holds (as the API served it). */
function containerStatuses(pod: KObject): IContainerStatus[] {
  const status = (pod as Pod).status;
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
}

export class KubeletServer {
  private server: Server;
  private wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      if (protocols.has(PORT_FORWARD_WS_PROTOCOL)) return PORT_FORWARD_WS_PROTOCOL;
      return selectProtocol(protocols) ?? false;
    },
  });
  private stats: StatsCollector;
  private secure?: Server;

  constructor(private readonly o: KubeletServerOptions) {
    this.stats = new StatsCollector(o.runtime, o.clock);
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((e: Error) => {
        o.log('error', 'kubelet server request', { url: req.url, error: e.message });
        if (!res.headersSent) text(res, 500, e.message);
        else res.destroy();
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.tunnel(req, socket, head));
  }

  /** The kubelet's HTTPS port (10250) on the node's address, with its serving certificate (files `skiff up` made). */
  async listenSecure(host: string, port: number, files: { cert: string; key: string }): Promise<void> {
    const [cert, key] = await Promise.all([readFile(files.cert, 'utf8'), readFile(files.key, 'utf8')]);
    const server = createHttpsServer({ cert, key }, (req, res) => {
      const path = new URL(req.url ?? '/', 'https://kubelet').pathname;
      if (req.method !== 'GET' || !this.resourceEndpoint(path, res)) text(res, 404, '404 page not found');
    });
    this.secure = server as unknown as Server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  /** Serves /healthz, /metrics/resource and /stats/summary; false for any other path. */
  private resourceEndpoint(path: string, res: ServerResponse): boolean {
    if (path === '/healthz') text(res, 200, 'ok');
    else if (path === '/metrics/resource') {
      res.writeHead(200, { 'content-type': PROMETHEUS_TEXT });
      res.end(this.stats.resourceMetrics(this.o.lookup.pods()));
    } else if (path === '/stats/summary') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.stats.summary(this.o.nodeName, this.o.lookup.pods())));
    } else return false;
    return true;
  }

  /** `CONNECT <podIP>:<port>`: a TCP stream to a pod address, reachable from this namespace. */
  private tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(req.url ?? '');
    const port = m ? Number(m[2]) : 0;
    if (!m || !this.o.podCIDR || !ipv4InCIDR(m[1], this.o.podCIDR) || port < 1 || port > 65535) {
      return rejectUpgrade(socket, 403, `tunnels lead only to pod addresses in ${this.o.podCIDR ?? 'no pod network'}, not ${req.url}`);
    }
    const upstream = connect(port, m[1]);
    upstream.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (e) => {
      if (upstream.connecting) rejectUpgrade(socket, 502, `dialing ${req.url}: ${e.message}`);
      else socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
  }

  listen(): Promise<void> {
    rmSync(this.o.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.socketPath, () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await Promise.all(
      [this.server, this.secure].map(
        (s) =>
          s &&
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  private target(parts: string[], withContainer: boolean): Target | { code: number; error: string } {
    const [ns, name, container] = parts.map(decodeURIComponent);
    if (!ns || !name || (withContainer && !container)) return { code: 400, error: 'missing namespace, pod or container in the path' };
    const pod = this.o.lookup.pod(ns, name);
    if (!pod) return { code: 404, error: `pod does not exist` };
    return { pod, uid: pod.metadata.uid ?? '', container };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && this.resourceEndpoint(url.pathname, res)) return;
    if (parts[0] === 'containerLogs') return this.logs(parts.slice(1), url.searchParams, req, res);
    if (parts[0] === 'exec' || parts[0] === 'portForward' || parts[0] === 'attach') return text(res, 400, 'Upgrade request required');
    text(res, 404, '404 page not found');
  }

  private async logs(parts: string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t = this.target(parts, true);
    if ('error' in t) return text(res, t.code, t.error);
    const opts = parseLogQuery(q, this.o.clock.now());
    if (opts instanceof Error) return text(res, 400, opts.message);
    const which = logTarget(t.pod, t.container!, !!opts.previous);
    if (typeof which === 'object') return text(res, 400, which.error);
    const status = containerStatuses(t.pod).find((c) => c.name === t.container);
    // The runtime numbers attempts; while a container waits to restart, its last run is the
    // runtime's latest attempt, which is what both `logs` and `logs --previous` show.
    const previous = which === 'previous' && !status?.state?.waiting;
    const abort = new AbortController();
    req.on('close', () => abort.abort());
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    try {
      await this.o.runtime.readLogs(t.uid, t.container!, { ...opts, previous }, res, abort.signal);
    } finally {
      if (!res.writableEnded) res.end();
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    const kind = parts[0];
    if (kind !== 'exec' && kind !== 'portForward') return rejectUpgrade(socket, 404, '404 page not found');
    const t = this.target(parts.slice(1), kind === 'exec');
    if ('error' in t) return rejectUpgrade(socket, t.code, t.error);
    const q = url.searchParams;
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (kind === 'exec') {
      const command = q.getAll('command');
      if (!command.length) return rejectUpgrade(socket, 400, 'you must specify at least 1 command');
      const running = containerStatuses(t.pod).some((c) => c.name === t.container && c.state?.running);
      if (!running) return rejectUpgrade(socket, 400, `container not found ("${t.container}")`);
      const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      const io = { stdin: flag('input') || flag('stdin'), stdout: flag('output') || flag('stdout'), stderr: flag('error') || flag('stderr'), tty: flag('tty') };
      const start = () => this.o.runtime.exec(t.uid, t.container!, command, { tty: io.tty, stdin: io.stdin });
      if (upgrade === 'websocket') {
        this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          if (!selectProtocol([ws.protocol])) {
            ws.close(1002, 'unsupported subprotocol');
            return;
          }
          serveWebSocketExec(ws, start, command, io);
        });
        return;
      }
      if (upgrade.startsWith('spdy/3.1')) {
        // Go sends the header once per offered version; Node joins repeated headers with ", ".
        const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((v) => v.trim()).filter(Boolean);
        const proto = SPDY_EXEC_PROTOCOLS.find((p) => offered.includes(p));
        if (!proto) return rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${SPDY_EXEC_PROTOCOLS.join(' ')}]`);
        const expected = expectedSpdyStreams(proto, io);
        this.spdy(socket, head, proto, (done) => new SpdyExecHandler(proto, expected, start, command, io.tty, done));
        return;
      }
      return rejectUpgrade(socket, 400, 'Upgrade request required');
    }
    // portForward
    const dial = (port: number) => this.o.runtime.portForward(t.uid, port);
    if (upgrade === 'websocket') {
      this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        if (ws.protocol !== PORT_FORWARD_WS_PROTOCOL) {
          ws.close(1002, 'unsupported subprotocol');
          return;
        }
        // The WebSocket only tunnels the SPDY byte stream (binary messages, any boundaries).
        const tunnel = createWebSocketStream(ws);
        tunnel.on('error', () => tunnel.destroy());
        const handler = new PortForwardHandler(dial, t.uid);
        new SpdySession(tunnel, (s) => handler.onStream(s));
      });
      return;
    }
    if (upgrade.startsWith('spdy/3.1')) {
      this.spdy(socket, head, 'portforward.k8s.io', () => new PortForwardHandler(dial, t.uid));
      return;
    }
    rejectUpgrade(socket, 400, 'Upgrade request required');
  }

  /** Answers a raw `Upgrade: SPDY/3.1` and runs a SPDY session on the socket. */
  private spdy(socket: Duplex, head: Buffer, protocol: string, make: (done: () => void) => { onStream(s: SpdyStream): void }): void {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    let session: SpdySession | undefined;
    const handler = make(() => session?.close());
    session = new SpdySession(socket, (s) => handler.onStream(s));
    if (head.length) session.push(head);
  }
}
