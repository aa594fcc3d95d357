import type { KObject } from '../../api/types.js';
import { SharedInformers, type ListWatcher } from '../../client/informer.js';
import type { Logger } from '../../log.js';
import { ENDPOINTSLICES, INGRESSCLASSES, INGRESSES, SECRETS, SERVICES } from '../../client/resources.js';

// The controller's view of the cluster: informers on Ingresses, IngressClasses, Services,
// EndpointSlices and Secrets. Every change schedules one `onChange` call shortly after, so a
// burst of events (a rollout touching many slices) costs one route-table rebuild, and a change
// takes effect well within a second. While the API server is away the informers keep their
// last store, and the proxy keeps routing by it.


export interface IngressSnapshot {
  ingresses: KObject[];
  ingressClasses: KObject[];
  services: KObject[];
  endpointSlices: KObject[];
}

export interface IngressView {
  snapshot(): IngressSnapshot;
  secret(namespace: string, name: string): KObject | undefined;
  service(namespace: string, name: string): KObject | undefined;
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

export function startIngressView(client: ListWatcher, onChange: () => void, opts: { debounceMs?: number; log?: Logger } = {}): IngressView {
  const informers = new SharedInformers(client, opts.log);
  const ing = informers.informer(INGRESSES);
  const classes = informers.informer(INGRESSCLASSES);
  const svc = informers.informer(SERVICES);
  const eps = informers.informer(ENDPOINTSLICES);
  const secrets = informers.informer(SECRETS);
  const debounceMs = opts.debounceMs ?? 20;
  let timer: NodeJS.Timeout | undefined;
  let synced = false;
  const changed = () => {
    if (!synced || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  };
  const all = [ing, classes, svc, eps, secrets];
  for (const inf of all) inf.addHandler({ add: changed, update: changed, delete: changed });
  informers.start();
  const syncedAll = Promise.all(all.map((i) => i.waitForSync())).then(() => {
    synced = true;
  });
  return {
    snapshot: () => ({ ingresses: ing.list(), ingressClasses: classes.list(), services: svc.list(), endpointSlices: eps.list() }),
    secret: (namespace, name) => secrets.get(namespace, name),
    service: (namespace, name) => svc.get(namespace, name),
    waitForSync: () => syncedAll,
    async stop() {
      if (timer) clearTimeout(timer);
      await informers.stop();
    },
  };
}
