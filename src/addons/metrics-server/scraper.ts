import type { Logger } from '../../log.js';
import { request } from 'node:https';
import type { KObject } from '../../api/types.js';
import { decodeResourceMetrics, type MetricsBatch } from './decode.js';

// metrics-server's pkg/scraper: every node's /metrics/resource at once, each request bounded by
// the resolution, over HTTPS with the pod's ServiceAccount token; a failed node is left out of
// the batch (and so loses its metrics) and logged, as upstream does.

interface NodeStatus {
  addresses?: { type: string; address: string }[];
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

export interface ScrapeOptions {
  addressTypes: string[];
  useNodeStatusPort: boolean;
  kubeletPort: number;
  insecureTLS: boolean;
  token: () => string;
  timeoutMs: number;
}

/** The kubelet's host and port for a node, by the preferred address types; undefined when it has none. */
export function kubeletAddress(node: KObject, o: Pick<ScrapeOptions, 'addressTypes' | 'useNodeStatusPort' | 'kubeletPort'>): { host: string; port: number } | undefined {
  const st = (node.status ?? {}) as NodeStatus;
  const port = (o.useNodeStatusPort && st.daemonEndpoints?.kubeletEndpoint?.Port) || o.kubeletPort;
  for (const type of o.addressTypes) {
    const a = st.addresses?.find((x) => x.type === type);
    if (a) return { host: a.address, port };
  }
  return undefined;
}

function get(host: string, port: number, o: ScrapeOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, path: '/metrics/resource', method: 'GET', rejectUnauthorized: !o.insecureTLS, timeout: o.timeoutMs, headers: { authorization: `Bearer ${o.token()}`, accept: 'text/plain' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`request failed, status: "${res.statusCode} ${res.statusMessage}"`));
          else resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end();
  });
}

export async function scrape(nodes: KObject[], o: ScrapeOptions, log: Logger): Promise<MetricsBatch> {
  const batch: MetricsBatch = { nodes: new Map(), pods: new Map() };
  await Promise.all(
    nodes.map(async (node) => {
      const name = node.metadata.name!;
      const addr = kubeletAddress(node, o);
      if (!addr) return log('error', `"Failed to scrape node" err="unable to fully scrape metrics from node ${name}: no address of types ${o.addressTypes.join(',')}" node="${name}"`);
      try {
        const text = await get(addr.host, addr.port, o);
        const b = decodeResourceMetrics(name, text, Date.now());
        for (const [k, v] of b.nodes) batch.nodes.set(k, v);
        for (const [k, v] of b.pods) batch.pods.set(k, v);
      } catch (e) {
        log('error', `"Failed to scrape node" err="Get \\"https://${addr.host}:${addr.port}/metrics/resource\\": ${(e as Error).message}" node="${name}"`);
      }
    }),
  );
  return batch;
}
