import net, { type Socket } from 'node:net';
import { clientAddress } from '../../proxy/http1/client-connection.js';
import { accessLogLine, type AccessRecord } from './access-log.js';
import type { GatewayProxy } from './proxy.js';

// The mesh proxy's L4 path, for Service ports that do not carry HTTP/1.1, and a gateway's TCP
// servers: the bytes of the connection go unchanged to one endpoint of the cluster, picked by its
// load balancer; a refused connection, or one not made within the cluster's connectTimeout, tries
// the next endpoint, as Envoy's TCP proxy retries connect failures (max_connect_attempts 1 by
// default, but every endpoint is one pick away here).
// When the connection ends, the TCP proxy's access log line: Istio's format with "- - -" for the
// request and 0 for the status, the bytes each way, the endpoint and the cluster, and the flag
// for a connection that found no cluster (NC), no healthy endpoint (UH) or none that answered (UF).

const MAX_CONNECT_ATTEMPTS = 3;

/** `first`: bytes already read from the client, sent ahead of the rest; `serverName`: the SNI of a TLS connection passed through, for the log. */
export function passThrough(client: Socket, proxy: GatewayProxy, clusterName: string, first?: Buffer, serverName?: string): void {
  const source = clientAddress(client.remoteAddress);
  const rec: AccessRecord = {
    start: Date.now(),
    method: '-',
    path: '-',
    protocol: '-',
    status: 0,
    flags: '-',
    details: '-',
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 0,
    downstreamLocal: `${clientAddress(client.localAddress)}:${client.localPort}`,
    downstreamRemote: `${source}:${client.remotePort}`,
    upstreamCluster: clusterName,
    serverName,
  };
  client.once('close', () => {
    rec.durationMs = Date.now() - rec.start;
    rec.bytesReceived = client.bytesRead;
    rec.bytesSent = client.bytesWritten;
    proxy.accessLog(accessLogLine(rec));
  });
  const refuse = (flags: string) => {
    rec.flags = flags;
    client.destroy();
  };
  const upstream = proxy.upstream(clusterName);
  const cluster = upstream?.spec.originalDst ? upstream.forOriginalDst(client, true) : upstream;
  if (!cluster) return refuse('NC');
  if (cluster.healthy().length === 0) return refuse('UH');
  const tried = new Set<string>();
  client.pause();
  client.on('error', () => undefined);
  const attempt = () => {
    const ep = proxy.pick(cluster, tried);
    if (!ep) return refuse(tried.size > 0 ? 'UF' : 'UH');
    tried.add(ep.key);
    rec.upstreamHost = ep.key;
    const failed = () => {
      if (tried.size < Math.min(MAX_CONNECT_ATTEMPTS, cluster.spec.endpoints.length) && !client.destroyed) attempt();
      else refuse(tried.size > 1 ? 'UF,URX' : 'UF');
    };
    // A connection NetworkPolicy refuses is a dropped SYN: the attempt ends at the connect timeout.
    if (proxy.refuses(source, ep)) {
      const timer = setTimeout(failed, cluster.connectTimeoutMs);
      client.once('close', () => clearTimeout(timer));
      return;
    }
    const upstream = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    const connectTimer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), cluster.connectTimeoutMs);
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      rec.upstreamLocal = `${upstream.localAddress}:${upstream.localPort}`;
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      if (first) upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      clearTimeout(connectTimer);
      failed();
    });
  };
  attempt();
}

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|PRI) /;

/** Istio's protocol sniffing on the first bytes a client sends: an HTTP/1.x request line, or not. */
export function looksLikeHttp(first: Buffer): boolean {
  const head = first.subarray(0, 8).toString('latin1');
  return HTTP_METHOD.test(head) || /^[A-Z]{1,7}$/.test(head);
}
