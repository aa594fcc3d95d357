import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { ApiClient } from '../../client/client.js';
import { NODES, PODS } from '../../client/resources.js';
import { fileTokenSource, inClusterConfig, SERVICE_ACCOUNT_DIR } from '../../client/in-cluster.js';
import { Informer } from '../../client/informer.js';
import type { KObject } from '../../api/types.js';
import { servingCertOffThread } from '../../client/serving-cert.js';
import { klogLoggerFor } from '../log.js';
import { notifyReady } from '../ready.js';
import { MetricsApi } from './api.js';
import { parseMetricsServerArgs } from './args.js';
import { scrape } from './scraper.js';
import { MetricsStorage } from './storage.js';

// The program of the built-in registry.k8s.io/metrics-server/metrics-server image: scrapes every
// node's kubelet each --metric-resolution, keeps the last two scrapes and serves
// metrics.k8s.io/v1beta1 over HTTPS on --secure-port, where the API server's aggregation layer
// sends `kubectl top` and the HPA controller. It reaches the API as any pod does (in-cluster
// config, its ServiceAccount's token).
//
// Its memory is a budget (issue 14: 15 MB with the HPA controller), so, as upstream keeps pods
// in a metadata-only informer, it keeps of each pod the metadata the API answers with and of each
// node what the scraper dials, and talks to the API over Node's own HTTP stack (client/transport).

const VERSION = 'v0.7.2';
/**
 * The generic API server's IdleTimeout: the aggregator keeps its connection between the HPA
 * controller's requests (Node's default of 5 s closed it between syncs).
 */
const IDLE_TIMEOUT_MS = 90_000;

/** metrics-server's klog lines. */
const klog = klogLoggerFor('metrics-server');

/** The metadata a PodMetrics answer carries and the informer needs to follow changes. */
function podMetadata(o: KObject): KObject {
  const { name, namespace, labels, resourceVersion, creationTimestamp } = o.metadata;
  return { kind: o.kind, apiVersion: o.apiVersion, metadata: { name, namespace, labels, resourceVersion, creationTimestamp } };
}

/** A node's name and labels for NodeMetrics, and the addresses and kubelet port the scraper dials. */
function nodeForScraping(o: KObject): KObject {
  const { name, labels, resourceVersion, creationTimestamp } = o.metadata;
  const { addresses, daemonEndpoints } = (o.status ?? {}) as Record<string, unknown>;
  return { kind: o.kind, apiVersion: o.apiVersion, metadata: { name, labels, resourceVersion, creationTimestamp }, status: { addresses, daemonEndpoints } };
}

async function main(): Promise<void> {
  const args = parseMetricsServerArgs(process.argv.slice(2));
  const client = new ApiClient({ ...inClusterConfig(), userAgent: `metrics-server/${VERSION} (linux/amd64) kubernetes/skiff` });
  const nodes = new Informer<KObject>(client, NODES, { log: klog, transform: nodeForScraping });
  const pods = new Informer<KObject>(client, PODS, { log: klog, metadataOnly: true, transform: podMetadata });
  nodes.start();
  pods.start();
  const storage = new MetricsStorage();
  const api = new MetricsApi(storage, {
    nodes: () => nodes.list(),
    node: (name) => nodes.get(undefined, name),
    pods: (ns) => pods.list(ns),
    pod: (ns, name) => pods.get(ns, name),
  });
  const token = fileTokenSource(join(SERVICE_ACCOUNT_DIR, 'token'));
  // A full collection after each scrape: V8 lets a heap this small grow by megabytes of
  // promoted garbage (a scrape's parse, the HPAs' requests) before it collects the old
  // generation, and its memory reducer runs again only once committed memory has grown by more
  // than 10 MB (memory-reducer.cc, kCommittedMemoryDelta). Serving 100 HPAs at 100 pods, the
  // private memory climbed from 10.0 to 11-12 MB between collections; with this it stays at
  // 9.9 MB, for about 0.05% of a core (bench/metrics.bench.ts).
  const collect = (globalThis as { gc?: () => void }).gc;
  const scrapeOnce = async () => {
    const batch = await scrape(nodes.list(), { ...args, insecureTLS: args.kubeletInsecureTLS, token, timeoutMs: args.resolutionMs }, klog);
    storage.store(batch);
    collect?.();
  };

  let cert: string;
  let key: string;
  if (args.tlsCertFile && args.tlsPrivateKeyFile) {
    [cert, key] = await Promise.all([readFile(args.tlsCertFile, 'utf8'), readFile(args.tlsPrivateKeyFile, 'utf8')]);
  } else {
    ({ cert, key } = await servingCertOffThread('localhost', ['127.0.0.1'], ['localhost']));
    klog('info', `Generated self-signed cert (${args.certDir}/apiserver.crt, ${args.certDir}/apiserver.key)`);
  }
  let synced = false;
  const server = createServer({ cert, key }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://metrics-server').pathname;
    if (path === '/livez' || path === '/healthz') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    if (path === '/readyz') {
      const failing = [...(synced ? [] : ['informer-sync']), ...(storage.ready() ? [] : ['metric-storage-ready'])];
      if (failing.length === 0) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return void res.writeHead(500, { 'Content-Type': 'text/plain' }).end(failing.map((f) => `[-]${f} failed: reason withheld\n`).join('') + 'readyz check failed\n');
    }
    if (!api.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
    }
  });
  server.keepAliveTimeout = IDLE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.securePort, '0.0.0.0', () => resolve());
  });
  klog('info', `Serving securely on [::]:${args.securePort}`);

  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(timer);
    server.close();
    void Promise.all([nodes.stop(), pods.stop()]).finally(() => client.close().finally(() => process.exit(0)));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await Promise.all([nodes.waitForSync(), pods.waitForSync()]);
  synced = true;
  notifyReady();
  const tick = () => void scrapeOnce().catch((e: Error) => klog('error', `"Failed to scrape nodes" err="${e.message}"`));
  tick();
  timer = setInterval(tick, args.resolutionMs);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    klog('error', e.message);
    process.exit(1);
  });
}
