import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { ipv4InCIDR } from '../../../cluster/ipv4.js';
import { ClientConnection, clientAddress, type ClientLimits } from '../../proxy/http1/client-connection.js';
import type { KeyPair } from '../../proxy/certificates.js';
import { PASSTHROUGH_CLUSTER, type Listener, type ProxyConfig, type TcpRoute } from '../config/types.js';
import { ENVOY_DIALECT, MESH_DIALECT } from './envoy.js';
import { pickWeighted, type GatewayProxy } from './proxy.js';
import { sourceMatches } from './router.js';
import { looksLikeHttp, passThrough } from './tcp-proxy.js';

// The gateway's listeners follow its configuration, as Envoy's LDS does: a port opens when a
// Gateway server needs it and closes when none does. HTTPS listeners pick the server's
// credential by SNI (exact name, `*.` suffix, `*`) and offer ALPN http/1.1; a name no server
// covers gets the listener's first credential.

/** Envoy's HTTP connection manager defaults as Istio sets them (no request timeout, 1 h idle). */
const ENVOY_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 60_000,
  keepAliveTimeoutMs: 3_600_000,
  bodyTimeoutMs: 300_000,
  maxHeadBytes: 60 * 1024,
  keepAliveRequests: 1_000_000,
};

interface Open {
  key: string;
  server: net.Server;
  contexts: Map<string, tls.SecureContext>;
  mesh?: Listener['mesh'];
  tcp?: TcpRoute[];
}

/** The cluster of the first route whose matches (none: every connection) take the caller and the address it dialled, by weight; undefined when no route does. */
function tcpRouteCluster(routes: TcpRoute[], source: { namespace: string; labels: Record<string, string> } | undefined, destination: string): string | undefined {
  const takes = (m: TcpRoute['matches'][number]) => sourceMatches(m, source) && (m.destinationSubnets === undefined || m.destinationSubnets.some((s) => ipv4InCIDR(destination, s)));
  const route = routes.find((r) => r.matches.length === 0 || r.matches.some(takes));
  return route ? (pickWeighted(route.clusters)?.cluster ?? '') : undefined;
}

function contextsOf(l: Listener, secrets: Record<string, KeyPair>, log: (m: string) => void): Map<string, tls.SecureContext> {
  const out = new Map<string, tls.SecureContext>();
  for (const t of l.tls ?? []) {
    const pair = secrets[t.credential];
    if (!pair) {
      log(`warning: listener 0.0.0.0_${l.port}: credential ${t.credential} not found`);
      continue;
    }
    let ctx: tls.SecureContext;
    try {
      ctx = tls.createSecureContext({ cert: pair.cert, key: pair.key, ALPNProtocols: ['http/1.1'] } as tls.SecureContextOptions);
    } catch (e) {
      log(`warning: listener 0.0.0.0_${l.port}: credential ${t.credential}: ${(e as Error).message}`);
      continue;
    }
    for (const h of t.hosts) if (!out.has(h.toLowerCase())) out.set(h.toLowerCase(), ctx);
  }
  return out;
}

function contextFor(contexts: Map<string, tls.SecureContext>, servername: string | undefined): tls.SecureContext | undefined {
  const name = (servername ?? '').toLowerCase();
  const exact = contexts.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  return (dot > 0 ? contexts.get(`*${name.slice(dot)}`) : undefined) ?? contexts.get('*') ?? contexts.values().next().value;
}

export class GatewayListeners {
  private readonly open = new Map<number, Open>();
  private readonly connections = new Set<ClientConnection>();

  constructor(
    private readonly proxy: GatewayProxy,
    private readonly log: (m: string) => void,
    private readonly host = '0.0.0.0',
  ) {}

  private serve = (socket: Socket, encrypted: boolean, dialect = ENVOY_DIALECT) => {
    socket.setNoDelay(true);
    const conn = new ClientConnection(socket, encrypted, ENVOY_CLIENT_LIMITS, dialect, this.proxy.handleRequest);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  };

  /** A mesh connection by its original destination: passed through, sniffed, or HTTP. */
  private serveMesh(socket: Socket, mesh: NonNullable<Listener['mesh']>): void {
    const destination = clientAddress(socket.localAddress);
    const only = mesh.exportTo?.[destination];
    if (only && !only.includes(this.proxy.current.workloads?.[clientAddress(socket.remoteAddress)]?.namespace ?? '')) {
      return passThrough(socket, this.proxy, PASSTHROUGH_CLUSTER);
    }
    const tcp = mesh.tcp[destination];
    if (tcp !== undefined) return passThrough(socket, this.proxy, this.tcpCluster(mesh, destination, socket) ?? tcp);
    const sniffed = mesh.sniff[destination];
    if (sniffed === undefined) return this.serve(socket, false, MESH_DIALECT);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (!looksLikeHttp(first)) return passThrough(socket, this.proxy, this.tcpCluster(mesh, destination, socket) ?? sniffed, first);
      socket.unshift(first);
      this.serve(socket, false, MESH_DIALECT);
      socket.resume();
    });
    socket.once('error', () => socket.destroy());
  }

  /** The cluster the destination's `tcp` routes pick for the caller, or undefined for the destination's own. */
  private tcpCluster(mesh: NonNullable<Listener['mesh']>, destination: string, socket: Socket): string | undefined {
    const routes = mesh.tcpRoutes?.[destination];
    return routes && tcpRouteCluster(routes, this.proxy.current.workloads?.[clientAddress(socket.remoteAddress)], destination);
  }

  /** A gateway's TCP server: the bytes to the cluster its routes pick; a connection no route takes is closed, as Envoy's listener without a filter chain for it does. */
  private serveTcp(socket: Socket, routes: TcpRoute[]): void {
    const cluster = tcpRouteCluster(routes, undefined, clientAddress(socket.localAddress));
    if (cluster === undefined) return void socket.destroy();
    passThrough(socket, this.proxy, cluster);
  }

  /** Opens, re-keys and closes listeners to match the configuration. */
  async apply(config: ProxyConfig): Promise<void> {
    const wanted = new Map(config.listeners.map((l) => [l.port, l]));
    for (const [port, o] of this.open) {
      const l = wanted.get(port);
      if (!l || o.key !== l.protocol) {
        o.server.close();
        this.open.delete(port);
      }
    }
    for (const l of config.listeners) {
      const existing = this.open.get(l.port);
      const contexts = l.protocol === 'HTTPS' ? contextsOf(l, config.secrets, this.log) : new Map<string, tls.SecureContext>();
      if (existing) {
        existing.contexts = contexts;
        existing.mesh = l.mesh;
        existing.tcp = l.tcp;
        continue;
      }
      const entry: Open = { key: l.protocol, contexts, mesh: l.mesh, tcp: l.tcp, server: undefined as unknown as net.Server };
      entry.server =
        l.protocol === 'HTTPS'
          ? tls.createServer(
              {
                allowHalfOpen: true,
                ALPNProtocols: ['http/1.1'],
                SNICallback: (name, cb) => {
                  const ctx = contextFor(entry.contexts, name);
                  if (ctx) cb(null, ctx);
                  else cb(new Error(`no credential for ${name}`));
                },
              },
              (s) => this.serve(s, true),
            )
          : net.createServer({ allowHalfOpen: true }, (s) => (entry.tcp ? this.serveTcp(s, entry.tcp) : entry.mesh ? this.serveMesh(s, entry.mesh) : this.serve(s, false)));
      if (entry.server instanceof tls.Server) entry.server.on('tlsClientError', (_e, s) => s.destroy());
      try {
        await new Promise<void>((resolve, reject) => {
          entry.server.once('error', reject);
          entry.server.listen({ port: l.port, host: this.host, backlog: 4096 }, () => resolve());
        });
        this.open.set(l.port, entry);
      } catch (e) {
        this.log(`error: listener 0.0.0.0_${l.port}: listening on ${this.host}:${l.port}: ${(e as Error).message}`);
      }
    }
  }

  ports(): number[] {
    return [...this.open.values()].map((o) => (o.server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    const closed = [...this.open.values()].map((o) => new Promise<void>((r) => o.server.close(() => r())));
    this.open.clear();
    for (const c of this.connections) c.shutdown();
    await Promise.all(closed);
  }
}
