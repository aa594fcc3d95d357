import { ApiClient } from '../../../client/client.js';
import {
  DESTINATIONRULES as DESTINATION_RULES, ENDPOINTSLICES as ENDPOINT_SLICES, GATEWAYS, NAMESPACES, NETWORKPOLICIES as NETWORK_POLICIES, PODS, SECRETS, SERVICEENTRIES, SERVICES, VIRTUALSERVICES as VIRTUAL_SERVICES,
} from '../../../client/resources.js';
import { inClusterConfig } from '../../../client/in-cluster.js';
import { SharedInformers } from '../../../client/informer.js';
import { ISTIOD_TLS_DIR, ISTIOD_XDS_PORT } from '../../../cluster/constants.js';
import { notifyReady } from '../../ready.js';
import type { MeshSnapshot } from '../config/gateway.js';
import { ProxyConfigs } from './proxy-configs.js';
import { selfSubjectReviewAuthenticator } from './authenticate.js';
import { DiscoveryServer } from './discovery.js';
import { readFileSync } from 'node:fs';
import { AnalysisController } from './analyzer/controller.js';
import { runIPAutoallocate } from './ip-autoallocate.js';
import http from 'node:http';
import { join } from 'node:path';
import { parseGoBool } from '../../../api/go-bool.js';

// The program of the built-in docker.io/istio/pilot image (istiod): it watches Gateways,
// VirtualServices, DestinationRules, ServiceEntries, Services, EndpointSlices, Pods and Secrets,
// and the NetworkPolicies and Namespaces the node proxies apply, through the API (in-cluster
// config, its own ServiceAccount), builds each connected proxy's configuration from them and
// pushes it on every change (discovery.ts), over TLS with the certificate mounted from Secret
// istiod-tls; it analyzes the objects (analyzer/) and gives ServiceEntry hosts addresses
// (ip-autoallocate.ts). Readiness on :8080 /ready once its informers synced, as istiod's.

export const ISTIO_VERSION = '1.26.2';

/**
 * Changes within this window cost one push (istiod's PILOT_DEBOUNCE_AFTER is 100 ms; shorter here,
 * as pushes are cheap). A change after a quiet spell is pushed at once, not at the end of a
 * window: a single edit reaches the proxies without waiting; a burst still costs one push per
 * window, counted from the end of the last push. 10 ms, half the 20 it was, as a change among
 * a thousand VirtualServices now costs istiod half the CPU: a burst takes no larger a share of it.
 */
const DEBOUNCE_MS = 10;

function say(level: 'info' | 'warn' | 'error', scope: string, msg: string): void {
  (level === 'info' ? process.stdout : process.stderr).write(`${new Date().toISOString()}\t${level}\t${scope}\t${msg}\n`);
}

async function main(): Promise<void> {
  say('info', 'default', `istiod version: ${ISTIO_VERSION}-skiff`);
  const config = inClusterConfig();
  const client = new ApiClient({ ...config, userAgent: `pilot-discovery/${ISTIO_VERSION}` });
  const informers = new SharedInformers(client, (level, m) => say(level === 'warning' ? 'warn' : level === 'error' ? 'error' : 'info', 'kube', m));
  const inf = {
    gateways: informers.informer(GATEWAYS),
    virtualServices: informers.informer(VIRTUAL_SERVICES),
    destinationRules: informers.informer(DESTINATION_RULES),
    serviceEntries: informers.informer(SERVICEENTRIES),
    services: informers.informer(SERVICES),
    endpointSlices: informers.informer(ENDPOINT_SLICES),
    pods: informers.informer(PODS),
    secrets: informers.informer(SECRETS),
    networkPolicies: informers.informer(NETWORK_POLICIES),
    namespaces: informers.informer(NAMESPACES),
  };
  const analysis = new AnalysisController(client, informers, (level, m, fields) => say(level === 'warning' ? 'warn' : level === 'error' ? 'error' : 'info', 'analysis', fields ? `${m} ${JSON.stringify(fields)}` : m));
  let snapshot: MeshSnapshot | undefined;
  // pilot's env.Register reads PILOT_HTTP10 with strconv.ParseBool; a value it cannot read is the default, false.
  const http10 = parseGoBool(process.env.PILOT_HTTP10 ?? '') === true;
  const configs = new ProxyConfigs((ns, name) => inf.pods.get(ns, name), http10);
  const read = (file: string) => {
    try {
      return readFileSync(join(ISTIOD_TLS_DIR, file), 'utf8');
    } catch (e) {
      throw new Error(`reading istiod's serving certificate: ${(e as Error).message}`);
    }
  };
  const tls = { cert: read('tls.crt'), key: read('tls.key') };
  const discovery = new DiscoveryServer((pod) => configs.for(pod), selfSubjectReviewAuthenticator(config), (m) => process.stdout.write(`${new Date().toISOString()}\t${m}\n`), tls);
  let scheduled = false;
  let synced = false;
  let lastPush = -Infinity;
  // Only the kinds that changed are listed again: the others keep their lists, by which the
  // translations of unchanged VirtualServices are known to still hold (RouteTranslations).
  const dirty = new Set<keyof MeshSnapshot>(Object.keys(inf) as (keyof MeshSnapshot)[]);
  const build = () => {
    scheduled = false;
    const next = { ...snapshot } as MeshSnapshot;
    for (const kind of dirty) next[kind] = inf[kind].list();
    dirty.clear();
    snapshot = next;
    configs.update(next);
    discovery.push();
    lastPush = performance.now();
  };
  const changed = () => {
    if (!synced || scheduled) return;
    scheduled = true;
    const wait = lastPush + DEBOUNCE_MS - performance.now();
    // After a quiet spell the build runs once the events already read are handled: a timer,
    // even of 0 ms, would wait for the event loop's next round of timers (1 ms at the least).
    if (wait > 0) setTimeout(build, wait);
    else setImmediate(build);
  };
  for (const [kind, i] of Object.entries(inf) as [keyof MeshSnapshot, (typeof inf)[keyof typeof inf]][]) {
    const mark = () => {
      dirty.add(kind);
      changed();
    };
    i.addHandler({ add: mark, update: mark, delete: mark });
  }
  informers.start();
  await discovery.listen();
  await Promise.all(Object.values(inf).map((i) => i.waitForSync()));
  synced = true;
  changed();
  await analysis.start();
  const allocator = runIPAutoallocate(client, inf.serviceEntries, (level, m, fields) => say(level === 'warning' ? 'warn' : level === 'error' ? 'error' : 'info', 'ip-autoallocate', fields ? `${m} ${JSON.stringify(fields)}` : m));
  const ready = http.createServer((req, res) => {
    const ok = (req.url ?? '').split('?')[0] === '/ready';
    res.writeHead(ok ? 200 : 404).end();
  });
  await new Promise<void>((r) => ready.listen(8080, '0.0.0.0', () => r()));
  notifyReady();
  say('info', 'default', `All caches have been synced up; discovery server serving TLS on :${ISTIOD_XDS_PORT}, readiness on :8080`);
  const stop = () => {
    say('info', 'default', 'Received SIGTERM, shutting down');
    void Promise.allSettled([analysis.stop(), allocator.stop(), discovery.close(), informers.stop(), new Promise<void>((r) => ready.close(() => r()))]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    say('error', 'default', e.message);
    process.exit(1);
  });
}
