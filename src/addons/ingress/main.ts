import { ApiClient } from '../../client/client.js';
import { inClusterConfig } from '../../client/in-cluster.js';
import { notifyReady } from '../ready.js';
import { parseControllerArgs } from './args.js';
import { klogLogger } from '../log.js';
import { AccessLogSink } from '../proxy/access-log-sink.js';
import { CertificateStore, generateFakeCertificate } from '../proxy/certificates.js';
import { startHealthServer } from './health.js';
import { IngressProxy } from './proxy.js';
import { buildRouteTable, type RouteTable } from './routes.js';
import { startListeners } from './server.js';
import { publishedAddresses, statusUpdates, writeStatuses } from './status.js';
import { startIngressView } from './view.js';
import { reportReady, runPrimary, workerCount, workerRole } from './workers.js';
import cluster from 'node:cluster';

// The program of the built-in registry.k8s.io/ingress-nginx/controller image. It watches the
// cluster through the API (in-cluster config: the pod's ServiceAccount token and the
// `kubernetes` Service, as ingress-nginx's client-go does; each worker its own client), turns the
// Ingresses of its class into a route table, serves HTTP on 80 and HTTPS on 443 from it, and
// publishes its Service's address in the status of every Ingress it serves.

/** The ingress-nginx release this program stands in for. */
export const CONTROLLER_VERSION = 'v1.12.1';

async function main(): Promise<void> {
  const args = parseControllerArgs(process.argv.slice(2));
  const count = workerCount();
  if (cluster.isPrimary && count > 1) {
    klogLogger('info', `NGINX Ingress controller Release: ${CONTROLLER_VERSION} Build: skiff Repository: https://github.com/kubernetes/ingress-nginx`);
    await runPrimary({ count, healthzPort: args.healthzPort, bindAddress: args.bindAddress, makeFakePair: generateFakeCertificate, log: klogLogger });
    return;
  }
  const role = workerRole();
  const client = new ApiClient({
    ...inClusterConfig(),
    userAgent: `nginx-ingress-controller/${CONTROLLER_VERSION} (linux/amd64) ingress-nginx/skiff`,
  });
  if (!role) klogLogger('info', `NGINX Ingress controller Release: ${CONTROLLER_VERSION} Build: skiff Repository: https://github.com/kubernetes/ingress-nginx`);

  const identity = { ingressClass: args.ingressClass, controllerClass: args.controllerClass };
  // Changes the view reports before the first table is built are in that first build.
  let building = false;
  const view = startIngressView(client, () => (building ? rebuild() : undefined), { log: klogLogger });
  // Workers get the primary's default certificate once all of them serve; a single controller
  // makes its own once it serves (below): the start is not the key generation's.
  const certificates = new CertificateStore(role ? () => role.fakePair : () => generateFakeCertificate(), klogLogger);
  let table: RouteTable = buildRouteTable({ ingresses: [], ingressClasses: [], services: [], endpointSlices: [], identity });
  // nginx's access_log goes to /var/log/nginx/access.log, which the image links to stdout.
  const accessLog = new AccessLogSink((chunk) => process.stdout.write(chunk));
  const proxy = new IngressProxy({ routes: () => table, log: (m) => klogLogger('error', m), accessLog: accessLog.write });
  const listeners = await startListeners({ host: args.bindAddress, httpPort: args.httpPort, httpsPort: args.httpsPort, proxy, certificates });
  let ready = false;
  // With workers, the primary answers /healthz for all of them.
  const health = role ? undefined : await startHealthServer(args.healthzPort, () => ready, args.bindAddress);

  let lastWarnings = new Set<string>();
  let statusRunning: Promise<void> | undefined;
  let statusAgain = false;
  const syncStatus = () => {
    // One writer is enough: with workers, the first one writes status.
    if (!args.publishService || (role && role.index !== 0)) return;
    if (statusRunning) {
      statusAgain = true;
      return;
    }
    const [ns, name] = args.publishService.split('/');
    const addresses = publishedAddresses(view.service(ns ?? '', name ?? ''));
    const updates = statusUpdates(table.served, view.snapshot().ingresses, addresses);
    if (updates.length === 0) return;
    statusRunning = writeStatuses(client, updates, klogLogger).finally(() => {
      statusRunning = undefined;
      if (statusAgain) {
        statusAgain = false;
        syncStatus();
      }
    });
  };

  const rebuild = () => {
    const next = buildRouteTable({ ...view.snapshot(), identity });
    certificates.update(next.tlsHosts, view.secret);
    table = next;
    proxy.tableChanged(next);
    const warnings = new Set(next.warnings);
    for (const w of warnings) if (!lastWarnings.has(w)) klogLogger('warning', w);
    lastWarnings = warnings;
    syncStatus();
  };

  let resync: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    ready = false;
    if (!role) klogLogger('info', 'Received SIGTERM, shutting down');
    clearInterval(resync);
    // Requests in flight finish; a stuck one does not hold the pod past its grace period.
    const deadline = setTimeout(() => process.exit(0), 25_000);
    deadline.unref();
    void Promise.allSettled([listeners.close(), health?.close(), view.stop()])
      .then(() => {
        proxy.close();
        accessLog.flush();
        return client.close();
      })
      .finally(() => process.exit(0));
  };
  // In place before the controller reports ready (to /healthz, the primary, the log): a stop that
  // follows at once must be this clean one, not the signal's default.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await view.waitForSync();
  if (stopping) return;
  building = true;
  rebuild();
  ready = true;
  reportReady();
  if (!role) notifyReady();
  certificates.prepareDefault();
  klogLogger('info', `controller${role ? ` worker ${role.index}` : ''} synced; serving HTTP on :${listeners.httpPort}, HTTPS on :${listeners.httpsPort}${health ? `, /healthz on :${health.port}` : ''}`);
  // ingress-nginx re-checks status every minute: a Service address that changed while a write
  // failed is corrected without waiting for another event.
  resync = setInterval(syncStatus, 60_000);
  resync.unref();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    klogLogger('error', e.message);
    process.exit(1);
  });
}
