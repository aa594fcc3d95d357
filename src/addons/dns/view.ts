import { SharedInformers, type ListWatcher } from '../../client/informer.js';
import type { ClusterView } from './records.js';
import type { Logger } from '../../log.js';
import { ENDPOINTSLICES, NAMESPACES, PODS, SERVICES } from '../../client/resources.js';

// The DNS server's view of the cluster, kept by informers. The informer store survives a
// failed watch or list, so while the API server is down the server answers from the last
// view it had, as CoreDNS does from its client-go caches.


export interface ClusterViewSource {
  /** A snapshot: the same object until something changes, so indexes built on it can be reused. */
  current(): ClusterView;
  waitForSync(): Promise<void>;
}

export interface RunningClusterView extends ClusterViewSource {
  stop(): Promise<void>;
}

/** A view over informers someone else starts (e.g. a shared factory). */
export function clusterViewFrom(informers: SharedInformers, now: () => number = Date.now): ClusterViewSource {
  const svc = informers.informer(SERVICES);
  const eps = informers.informer(ENDPOINTSLICES);
  const pods = informers.informer(PODS);
  const nss = informers.informer(NAMESPACES);
  let snapshot: ClusterView | undefined;
  // The SOA serial is the time of the last change, in seconds, as CoreDNS's Modified().
  let serial = Math.floor(now() / 1000);
  const changed = () => {
    snapshot = undefined;
    serial = Math.floor(now() / 1000);
  };
  for (const inf of [svc, eps, pods, nss]) inf.addHandler({ add: changed, update: changed, delete: changed });
  return {
    current() {
      snapshot ??= {
        services: svc.list(),
        endpointSlices: eps.list(),
        pods: pods.list(),
        namespaces: nss.list(),
        serial,
      };
      return snapshot;
    },
    async waitForSync() {
      await Promise.all([svc, eps, pods, nss].map((i) => i.waitForSync()));
    },
  };
}

/** A view with informers of its own, started now. */
export function startClusterView(client: ListWatcher, log?: Logger): RunningClusterView {
  const informers = new SharedInformers(client, log);
  const view = clusterViewFrom(informers);
  informers.start();
  return { ...view, stop: () => informers.stop() };
}
