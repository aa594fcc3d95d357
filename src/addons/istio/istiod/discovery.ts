import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ISTIOD_XDS_PORT } from '../../../cluster/constants.js';
import type { ProxyConfig } from '../config/types.js';
import { configDelta } from '../config/delta.js';
import { serialize } from '../config/version.js';

// istiod's discovery endpoint, the role xDS plays in Istio: a proxy asks once, presenting its
// pod's projected ServiceAccount token as a bearer token, and keeps the response open; istiod
// writes the proxy's whole configuration as one JSON line, and a line whenever that
// configuration changes: what changed (config/delta.ts, as delta xDS sends it), or the whole
// configuration again when more than routes and clusters did. A proxy that loses the stream
// asks again, keeps its last configuration meanwhile, and is sent the whole of it first.
//
// Who is asking comes from the token, never from the request: istiod has the API server review
// it (authenticate.ts) and serves the pod the token is bound to, as istiod's XDS authentication
// maps a proxy to its identity before it sends anything. A pod can therefore read only its own
// configuration, and only the TLS credentials of Gateways that select it.
//
// The stream carries those credentials, so it is served only over TLS, on istiod's secure xDS
// port, with a serving certificate the cluster CA signed (Secret istiod-tls, as istio-csr or
// cert-manager hand istiod a certificate made elsewhere): a proxy verifies it against the
// cluster CA of its ServiceAccount volume (ca.crt) before it presents its token. There is no
// plaintext port (istiod's 15010).

export const DISCOVERY_PATH = '/v1/proxy-config';

/** The pod (`namespace/name`) a bearer token is bound to; rejects with a reason when it is bound to none. */
export type ProxyAuthenticator = (token: string) => Promise<string>;

interface Subscriber {
  pod: string;
  res: http.ServerResponse;
  /** The configuration the proxy holds: the last one written to its stream. */
  sent: ProxyConfig | undefined;
}

export class DiscoveryServer {
  private readonly subscribers = new Set<Subscriber>();
  private server: https.Server | undefined;

  constructor(
    /** The configuration of a proxy pod (`namespace/name`), or undefined while the pod is unknown. */
    private readonly configFor: (pod: string) => ProxyConfig | undefined,
    private readonly authenticate: ProxyAuthenticator,
    private readonly log: (m: string) => void,
    /** istiod's serving certificate and key (PEM). */
    private readonly tls: { cert: string; key: string },
  ) {}

  async listen(port = ISTIOD_XDS_PORT, host = '0.0.0.0'): Promise<number> {
    this.server = https.createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://istiod');
      if (url.pathname !== DISCOVERY_PATH) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`404 page not found\n`);
        return;
      }
      const auth = req.headers.authorization ?? '';
      const token = /^bearer /i.test(auth) ? auth.slice(7).trim() : '';
      const peer = `${req.socket.remoteAddress?.replace(/^::ffff:/, '')}:${req.socket.remotePort}`;
      if (!token) return this.refuse(res, peer, 'no bearer token');
      this.authenticate(token).then(
        (pod) => this.subscribe(req, res, pod),
        (e: Error) => this.refuse(res, peer, e.message),
      );
    });
    // A client that does not speak TLS (plain HTTP) or does not trust the certificate ends here, before any token is read.
    this.server.on('tlsClientError', (e: Error, socket) => {
      this.log(`warn\tads\tTLS handshake error from ${socket.remoteAddress?.replace(/^::ffff:/, '')}:${socket.remotePort}: ${e.message}`);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (e) => reject(new Error(`listening for discovery on ${host}:${port}: ${e.message}`)));
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private refuse(res: http.ServerResponse, peer: string, why: string): void {
    this.log(`warn\tads\tFailed to authenticate client from ${peer}: ${why}`);
    res.writeHead(401, { 'content-type': 'text/plain' }).end(`authentication failure: ${why}\n`);
  }

  private subscribe(req: http.IncomingMessage, res: http.ServerResponse, pod: string): void {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    // A pod runs one proxy: an older stream of the same pod is one whose proxy is gone (its
    // process restarted, or the pod was replaced under the same name) and whose connection
    // has not been seen to close yet; pushing into it helps no one.
    for (const old of this.subscribers) if (old.pod === pod) old.res.destroy();
    const sub: Subscriber = { pod, res, sent: undefined };
    this.subscribers.add(sub);
    this.log(`info\tads\tNew connection: ${pod}`);
    req.socket.setKeepAlive(true, 15_000);
    res.once('close', () => {
      this.subscribers.delete(sub);
      this.log(`info\tads\tADS: "${pod}" terminated`);
    });
    this.pushTo(sub);
  }

  private pushTo(sub: Subscriber): void {
    const config = this.configFor(sub.pod);
    if (!config || config.version === sub.sent?.version) return;
    const delta = sub.sent && configDelta(sub.sent, config);
    sub.sent = config;
    if (delta) {
      sub.res.write(JSON.stringify(delta) + '\n');
      this.log(`info\tads\tPush: ${sub.pod} version ${config.version} (incremental from ${delta.base}: ${delta.virtualHosts.length} virtual hosts, ${Object.keys(delta.clusters).length} clusters)`);
      return;
    }
    sub.res.write(serialize(config) + '\n');
    this.log(`info\tads\tPush: ${sub.pod} version ${config.version} (${config.listeners.length} listeners, ${Object.keys(config.clusters).length} clusters)`);
  }

  /**
   * Sends every proxy whose configuration changed its new one, each in a turn of the event loop
   * of its own: a response's socket stays corked until the turn that wrote to it ends, so a
   * proxy's configuration built early would otherwise wait, unsent, for every later proxy's build
   * (a ztunnel's small document for the gateway's large one).
   */
  push(): void {
    // Proxies that held one configuration (every ztunnel) go one after the other, so the ones
    // after the first get the build it made without waiting for other builds; smaller
    // configurations (quicker to build) go first.
    const groups = new Map<ProxyConfig | undefined, Subscriber[]>();
    for (const sub of this.subscribers) {
      const group = groups.get(sub.sent);
      if (group) group.push(sub);
      else groups.set(sub.sent, [sub]);
    }
    const hosts = (c: ProxyConfig | undefined) => c?.listeners.reduce((n, l) => n + l.virtualHosts.length, 0) ?? 0;
    const pending = [...groups].sort(([a], [b]) => hosts(a) - hosts(b)).flatMap(([, subs]) => subs);
    const next = () => {
      const sub = pending.shift();
      if (!sub) return;
      // A stream may have ended (its proxy gone, or istiod closing) since the push began.
      if (this.subscribers.has(sub) && !sub.res.writableEnded) this.pushTo(sub);
      setImmediate(next);
    };
    next();
  }

  async close(): Promise<void> {
    for (const s of this.subscribers) s.res.end();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
