import net, { type Socket } from 'node:net';
import type { GatewayProxy } from './proxy.js';

// The mesh proxy's L4 path, for Service ports that do not carry HTTP/1.1: the bytes of the
// connection go unchanged to one endpoint of the Service's cluster, picked by the cluster's load
// balancer; a refused connection tries the next endpoint, as Envoy's TCP proxy retries connect
// failures (max_connect_attempts 1 by default, but every endpoint is one pick away here).

const MAX_CONNECT_ATTEMPTS = 3;

export function passThrough(client: Socket, proxy: GatewayProxy, clusterName: string, first?: Buffer): void {
  const upstream = proxy.upstream(clusterName);
  const cluster = upstream?.spec.originalDst ? upstream.forOriginalDst(client, true) : upstream;
  if (!cluster || cluster.healthy().length === 0) {
    client.destroy();
    return;
  }
  const tried = new Set<string>();
  client.pause();
  client.on('error', () => undefined);
  const attempt = () => {
    const ep = proxy.pick(cluster, tried);
    if (!ep) return client.destroy();
    tried.add(ep.key);
    const upstream = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
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
      if (tried.size < Math.min(MAX_CONNECT_ATTEMPTS, cluster.spec.endpoints.length) && !client.destroyed) attempt();
      else client.destroy();
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
