import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyConfig } from '../config/types.js';

// istiod's discovery endpoint, the role xDS plays in Istio: a proxy asks once with its pod's
// namespace and name and keeps the response open; istiod writes the proxy's whole configuration
// as one JSON line, and another line whenever that configuration changes (state of the world,
// as Istio pushes it). A proxy that loses the stream asks again and keeps its last configuration
// meanwhile.

/** istiod's plaintext xDS port. */
export const DISCOVERY_PORT = 15010;
export const DISCOVERY_PATH = '/v1/proxy-config';

interface Subscriber {
  pod: string;
  res: http.ServerResponse;
  version: string;
}

export class DiscoveryServer {
  private readonly subscribers = new Set<Subscriber>();
  private server: http.Server | undefined;

  constructor(
    /** The configuration of a gateway pod (`namespace/name`), or undefined while the pod is unknown. */
    private readonly configFor: (pod: string) => ProxyConfig | undefined,
    private readonly log: (m: string) => void,
  ) {}

  async listen(port = DISCOVERY_PORT, host = '0.0.0.0'): Promise<number> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://istiod');
      const pod = url.searchParams.get('pod') ?? '';
      if (url.pathname !== DISCOVERY_PATH || !/^[^/]+\/[^/]+$/.test(pod)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`404 page not found\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      const sub: Subscriber = { pod, res, version: '' };
      this.subscribers.add(sub);
      this.log(`info\tads\tNew connection: ${pod}`);
      req.socket.setKeepAlive(true, 15_000);
      res.once('close', () => {
        this.subscribers.delete(sub);
        this.log(`info\tads\tADS: "${pod}" terminated`);
      });
      this.pushTo(sub);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (e) => reject(new Error(`listening for discovery on ${host}:${port}: ${e.message}`)));
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private pushTo(sub: Subscriber): void {
    const config = this.configFor(sub.pod);
    if (!config || config.version === sub.version) return;
    sub.version = config.version;
    sub.res.write(JSON.stringify(config) + '\n');
    this.log(`info\tads\tPush: ${sub.pod} version ${config.version} (${config.listeners.length} listeners, ${Object.keys(config.clusters).length} clusters)`);
  }

  /** Sends every proxy whose configuration changed its new one. */
  push(): void {
    for (const sub of this.subscribers) this.pushTo(sub);
  }

  async close(): Promise<void> {
    for (const s of this.subscribers) s.res.end();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
