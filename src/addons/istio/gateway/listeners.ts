import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { ipv4InCIDR } from '../../../cluster/ipv4.js';
import { ClientConnection, clientAddress, type ClientLimits } from '../../proxy/http1/client-connection.js';
import { PASSTHROUGH_CLUSTER, type GatewayCredential, type Listener, type ProxyConfig, type ServerTls, type SniRoute, type TcpRoute } from '../config/types.js';
import { clientCertificatePasses } from './client-cert.js';
import { readClientHello } from './client-hello.js';
import { ENVOY_DIALECT, MESH_DIALECT } from './envoy.js';
import { pickWeighted, type GatewayProxy } from './proxy.js';
import { sourceMatches } from './router.js';
import { looksLikeHttp, passThrough } from './tcp-proxy.js';

// The gateway's listeners follow its configuration, as Envoy's LDS does: a port opens when a
// Gateway server needs it and closes when none does. An HTTPS listener reads the server name
// from the client's ClientHello first (Envoy's tls_inspector), and picks the server by it (exact
// name, `*.` suffixes, `*`; a connection whose name no server covers is closed, as Envoy closes
// one no filter chain matches), and with it the credential and whether the client must present
// a certificate (mutual TLS); the handshake then offers ALPN http/1.1. A name a PASSTHROUGH route
// takes is not opened: the connection's bytes go to the route's cluster as they are.

/** Envoy's HTTP connection manager defaults as Istio sets them (no request timeout, 1 h idle). */
const ENVOY_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 60_000,
  keepAliveTimeoutMs: 3_600_000,
  bodyTimeoutMs: 300_000,
  maxHeadBytes: 60 * 1024,
  keepAliveRequests: 1_000_000,
};

/**
 * What an HTTPS listener does for one server name: make the handshake with its server's
 * credential and settings (`server`, whose hosts may be those of an earlier configuration:
 * contextsOf keeps a choice while the rest is unchanged), or refuse it.
 */
type TlsChoice = { context: tls.SecureContext; options: tls.SecureContextOptions; server: ServerTls } | { refused: string };

/**
 * The settings Node takes per TLS server, not per SNI context: whether a client certificate is
 * asked for and verified, and the protocol versions (chosen before the name is looked at).
 */
function handshakeKey(t: ServerTls): string {
  return `${t.clientCertificate ?? 'SIMPLE'} ${t.minVersion ?? ''} ${t.maxVersion ?? ''}`;
}

/** How long a connection may take to send its ClientHello (Envoy's listener_filters_timeout). */
const CLIENT_HELLO_TIMEOUT_MS = 15_000;

interface Open {
  key: string;
  server: net.Server;
  contexts: Map<string, TlsChoice>;
  /** HTTPS: the PASSTHROUGH routes by SNI host (the first route to name one has it). */
  passthrough: Map<string, SniRoute>;
  /** HTTPS: the TLS servers, by handshakeKey; the listener hands each connection to one. */
  handshakes?: Map<string, tls.Server>;
  mesh?: Listener['mesh'];
  tcp?: TcpRoute[];
}

/** The cluster of the first route whose matches (none: every connection) take the caller and the address it dialled, by weight; undefined when no route does. */
function tcpRouteCluster(routes: TcpRoute[], source: { namespace: string; labels: Record<string, string> } | undefined, destination: string): string | undefined {
  const takes = (m: TcpRoute['matches'][number]) => sourceMatches(m, source) && (m.destinationSubnets === undefined || m.destinationSubnets.some((s) => ipv4InCIDR(destination, s)));
  const route = routes.find((r) => r.matches.length === 0 || r.matches.some(takes));
  return route ? (pickWeighted(route.clusters)?.cluster ?? '') : undefined;
}

/** A server's credential made a TLS context; a server whose credential is missing or unusable refuses its names' handshakes, as Envoy's filter chain without its secret does. */
function choiceOf(l: Listener, t: ServerTls, credential: GatewayCredential | undefined, log: (m: string) => void): TlsChoice {
  const refuse = (why: string): TlsChoice => {
    log(`warning: listener 0.0.0.0_${l.port}: credential ${t.credential}: ${why}`);
    return { refused: why };
  };
  if (!credential) return refuse('not found');
  const mutual = t.clientCertificate !== undefined;
  if (mutual && !credential.ca) return refuse(`no CA certificate (ca.crt or cacert, or Secret ${t.credential}-cacert) to verify client certificates with, as ${t.clientCertificate} TLS needs`);
  try {
    // The versions too: a TLS server's own context (serveWithoutSni) is what bounds its handshakes.
    const options: tls.SecureContextOptions = { cert: credential.cert, key: credential.key, ALPNProtocols: ['http/1.1'], minVersion: t.minVersion, maxVersion: t.maxVersion } as tls.SecureContextOptions;
    if (mutual) Object.assign(options, { ca: credential.ca, ...(credential.crl ? { crl: credential.crl } : {}) });
    return { context: tls.createSecureContext(options), options, server: t };
  } catch (e) {
    return refuse((e as Error).message);
  }
}

/**
 * The names a ClientHello's server name is looked up by, most specific first, as Envoy matches a
 * filter chain's server_names: the name itself, `*.` with each shorter suffix, then `*`.
 */
function* sniCandidates(servername: string | undefined): Generator<string> {
  const name = (servername ?? '').toLowerCase();
  if (name) yield name;
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) yield `*${name.slice(dot)}`;
  yield '*';
}

/** What an HTTPS listener does with a connection that asked for `servername`: pass it on unopened, or terminate it with a server's credential. */
function serverFor(entry: Open, servername: string | undefined): { passthrough: SniRoute } | TlsChoice | undefined {
  for (const name of sniCandidates(servername)) {
    const choice = entry.contexts.get(name);
    if (choice) return choice;
    const passthrough = entry.passthrough.get(name);
    if (passthrough) return { passthrough };
  }
  return undefined;
}

function passthroughByName(routes: SniRoute[] | undefined): Map<string, SniRoute> {
  const out = new Map<string, SniRoute>();
  for (const r of routes ?? []) for (const h of r.sniHosts) if (!out.has(h)) out.set(h, r);
  return out;
}

export class GatewayListeners {
  private readonly open = new Map<number, Open>();
  private readonly connections = new Set<ClientConnection>();
  /** The HTTPS servers' choices of the last configuration, by port, settings and credential (contextsOf). */
  private choices = new Map<string, TlsChoice>();
  /** The choice each TLS server's own context was last set from (serveWithoutSni). */
  private readonly withoutSni = new WeakMap<tls.Server, TlsChoice>();

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

  /**
   * An HTTPS connection: its ClientHello is read (and kept) to choose by the name it asks for,
   * then the connection is passed on unopened if a PASSTHROUGH route takes the name, or else
   * handed to the TLS server of its server's client certificate mode. A connection that is not
   * TLS, or asks for a name whose server cannot serve, is closed.
   */
  private serveHttps(socket: Socket, entry: Open): void {
    let received: Buffer | undefined;
    const timer = setTimeout(() => socket.destroy(), CLIENT_HELLO_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.pause();
    };
    const onData = (chunk: Buffer) => {
      received = received ? Buffer.concat([received, chunk]) : chunk;
      const hello = readClientHello(received);
      if (hello.kind === 'more') return;
      done();
      if (hello.kind === 'not-tls') return void socket.destroy();
      const choice = serverFor(entry, hello.servername);
      if (!choice || 'refused' in choice) return void socket.destroy();
      if ('passthrough' in choice) {
        // Bytes, the ClientHello first, to a cluster of the route's; the TCP proxy owns half-closes from here.
        socket.allowHalfOpen = true;
        return passThrough(socket, this.proxy, pickWeighted(choice.passthrough.clusters)?.cluster ?? '', received, hello.servername);
      }
      socket.unshift(received);
      // The TLS server takes the socket as if it had accepted it, and reads what was unshifted first.
      this.handshakes(entry, choice.server).emit('connection', socket);
    };
    socket.on('data', onData);
    socket.once('error', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * The listener's TLS server for a server's handshake settings (handshakeKey). Its SNI callback
   * gives the context the ClientHello's name chose.
   */
  private handshakes(entry: Open, t: ServerTls): tls.Server {
    entry.handshakes ??= new Map();
    const key = handshakeKey(t);
    let server = entry.handshakes.get(key);
    if (server) return server;
    const mode = t.clientCertificate ?? 'SIMPLE';
    server = tls.createServer(
      {
        allowHalfOpen: true,
        ALPNProtocols: ['http/1.1'],
        // MUTUAL: a handshake without a certificate fails with TLS 1.3's certificate_required
        // alert, and one whose certificate the CA did not sign is closed once made.
        requestCert: mode !== 'SIMPLE',
        rejectUnauthorized: mode === 'MUTUAL',
        ...(t.minVersion ? { minVersion: t.minVersion } : {}),
        ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
        SNICallback: (name, cb) => {
          const choice = serverFor(entry, name);
          if (choice && 'context' in choice) cb(null, choice.context);
          else cb(new Error(`no credential for ${name}`));
        },
      },
      (s) => {
        // A certificate that does not verify (OPTIONAL_MUTUAL lets the handshake through without
        // one), or fails the server's SAN or hash checks, ends the connection: Envoy fails such a
        // handshake; Node checks after it, so the connection is closed instead.
        const peer = s.getPeerX509Certificate();
        if (peer) {
          const choice = serverFor(entry, s.servername || undefined);
          const checks = choice && 'server' in choice ? choice.server : {};
          if (!s.authorized || !clientCertificatePasses(peer, checks)) return void s.destroy();
        }
        this.serve(s, true);
      },
    );
    server.on('tlsClientError', (_e, s) => s.destroy());
    entry.handshakes.set(key, server);
    this.serveWithoutSni(entry);
    return server;
  }

  /**
   * A client that sends no server name gets a `*` server if the port has one (Envoy's filter
   * chain without server_names): Node makes that handshake with the TLS server's own context,
   * not an SNI callback's.
   */
  private serveWithoutSni(entry: Open): void {
    const choice = serverFor(entry, undefined);
    if (!choice || !('context' in choice)) return;
    const server = entry.handshakes?.get(handshakeKey(choice.server));
    if (!server || this.withoutSni.get(server) === choice) return;
    server.setSecureContext(choice.options);
    this.withoutSni.set(server, choice);
  }

  /**
   * An HTTPS listener's servers by name. A server whose settings and credential are those of the
   * last configuration keeps its choice: a push that changed routes parses no key again (and
   * warns of no missing credential again).
   */
  private contextsOf(l: Listener, secrets: Record<string, GatewayCredential>, kept: Map<string, TlsChoice>): Map<string, TlsChoice> {
    const out = new Map<string, TlsChoice>();
    for (const t of l.tls ?? []) {
      const key = JSON.stringify([l.port, { ...t, hosts: undefined }, secrets[t.credential]]);
      const choice = this.choices.get(key) ?? choiceOf(l, t, secrets[t.credential], this.log);
      kept.set(key, choice);
      for (const h of t.hosts) if (!out.has(h.toLowerCase())) out.set(h.toLowerCase(), choice);
    }
    return out;
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
    const kept = new Map<string, TlsChoice>();
    for (const l of config.listeners) {
      const existing = this.open.get(l.port);
      const contexts = l.protocol === 'HTTPS' ? this.contextsOf(l, config.secrets, kept) : new Map<string, TlsChoice>();
      const passthrough = passthroughByName(l.passthrough);
      if (existing) {
        existing.contexts = contexts;
        existing.passthrough = passthrough;
        existing.mesh = l.mesh;
        existing.tcp = l.tcp;
        this.serveWithoutSni(existing);
        continue;
      }
      const entry: Open = { key: l.protocol, contexts, passthrough, mesh: l.mesh, tcp: l.tcp, server: undefined as unknown as net.Server };
      // HTTPS: a client that closes its side before the handshake is over is gone (with
      // allowHalfOpen on the accepted socket, Node's TLS server would keep it for its 120 s
      // handshake timeout); once the TLS socket, which allows half-open, is made, the HTTP
      // connection decides what the client's end means.
      const https = l.protocol === 'HTTPS';
      entry.server = net.createServer({ allowHalfOpen: !https }, (s) =>
        https ? this.serveHttps(s, entry) : entry.tcp ? this.serveTcp(s, entry.tcp) : entry.mesh ? this.serveMesh(s, entry.mesh) : this.serve(s, false),
      );
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
    this.choices = kept;
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
