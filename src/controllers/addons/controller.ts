import { isAlreadyExists, type ApiClient, type Resource } from '../../client/client.js';
import type { Informer, InformerLike, SharedInformers } from '../../client/informer.js';
import { DEPLOYMENTS } from '../deployment/controller.js';
import { SERVICES } from '../endpointslice/controller.js';
import { runController, type RunningController } from '../loop.js';
import { NODES } from '../nodelifecycle/controller.js';
import { CONFIGMAPS } from '../rootcacert/controller.js';
import { SERVICEACCOUNTS } from '../serviceaccount/controller.js';
import { ADDON_NAMESPACE, COREDNS_NAME, KUBE_DNS_SERVICE, missingParts, type AddonPart } from './coredns.js';

/** The one key this controller reconciles: the add-on as a whole. */
const KEY = `${ADDON_NAMESPACE}/${COREDNS_NAME}`;

/**
 * The cluster DNS add-on installer: kubeadm's `addon/coredns` phase as a controller, so a part
 * that is deleted comes back. It waits for the first Node (a cluster without nodes gets none).
 */
export function startCoreDNSAddon(client: ApiClient, informers: SharedInformers, log?: (msg: string) => void): RunningController {
  const parts: Record<AddonPart, { res: Resource; name: string }> = {
    serviceaccount: { res: SERVICEACCOUNTS, name: COREDNS_NAME },
    configmap: { res: CONFIGMAPS, name: COREDNS_NAME },
    deployment: { res: DEPLOYMENTS, name: COREDNS_NAME },
    service: { res: SERVICES, name: KUBE_DNS_SERVICE },
  };
  const nodes = informers.informer(NODES);
  const byPart = Object.fromEntries(Object.entries(parts).map(([p, { res }]) => [p, informers.informer(res)])) as Record<AddonPart, Informer>;
  /** The name of our object in each informer's resource. */
  const ours = new Map<InformerLike, string>((Object.keys(parts) as AddonPart[]).map((p) => [byPart[p], parts[p].name]));

  return runController({
    log,
    name: 'coredns-addon',
    informers: [nodes, ...Object.values(byPart)],
    keyOf: (obj, inf) => {
      if (inf === nodes) return KEY;
      return obj.metadata.namespace === ADDON_NAMESPACE && ours.get(inf) === obj.metadata.name ? KEY : undefined;
    },
    async reconcile() {
      const present = Object.fromEntries(
        (Object.keys(parts) as AddonPart[]).map((p) => [p, byPart[p].get(ADDON_NAMESPACE, parts[p].name) !== undefined]),
      ) as Record<AddonPart, boolean>;
      for (const { part, object } of missingParts({ hasNodes: nodes.list().length > 0, present })) {
        try {
          await client.create(parts[part].res, ADDON_NAMESPACE, object);
        } catch (e) {
          // Our cache had not seen it yet: someone (or our last run) created it meanwhile.
          if (isAlreadyExists(e)) continue;
          throw new Error(`installing the CoreDNS add-on: creating ${object.kind} ${ADDON_NAMESPACE}/${parts[part].name}: ${(e as Error).message}`, { cause: e });
        }
      }
    },
  });
}
