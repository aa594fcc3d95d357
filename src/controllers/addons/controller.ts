import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isNamespaceTerminating, type ApiClient, type Resource } from '../../client/client.js';
import type { Informer, InformerLike, SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { ADDON_NAMESPACE, COREDNS_NAME, KUBE_DNS_SERVICE, missingParts, type AddonPart, type CoreDNSOptions } from './coredns.js';
import {
  CONTROLLER_NAME,
  INGRESS_CLASS_NAME,
  INGRESS_NAMESPACE,
  SERVICE_ACCOUNT_NAME,
  missingIngressNginxParts,
  type IngressNginxPart,
} from './ingress-nginx.js';
import type { Logger } from '../../log.js';
import { CONFIGMAPS, DEPLOYMENTS, INGRESSCLASSES, NAMESPACES, NODES, SERVICEACCOUNTS, SERVICES } from '../../client/resources.js';


/** Where one part of an add-on lives; cluster-scoped parts have no namespace. */
export interface PartLocation {
  res: Resource;
  namespace?: string;
  name: string;
}

/** An add-on as its installer sees it: where its parts live and what to create, given what exists. */
export interface AddonSpec<P extends string> {
  /** The controller's name in logs. */
  controller: string;
  /** The add-on in error messages ("the CoreDNS add-on"). */
  title: string;
  parts: Record<P, PartLocation>;
  plan(o: { hasNodes: boolean; present: Record<P, boolean> }): { part: P; object: KObject }[];
}

/** How soon to look again while a namespace of ours is still being deleted. */
const TERMINATING_RETRY_MS = 1000;

/**
 * An add-on installer: kubeadm's `addon/*` phases as a controller, so a part that is deleted
 * comes back and parts that exist (with the user's edits) are left alone. It waits for the
 * first Node (a cluster without nodes gets nothing). The add-on as a whole is the one key.
 */
export function startAddon<P extends string>(client: ApiClient, informers: SharedInformers, spec: AddonSpec<P>, log?: Logger): RunningController {
  const key = spec.controller;
  const names = Object.keys(spec.parts) as P[];
  const nodes = informers.informer(NODES);
  const byPart = Object.fromEntries(names.map((p) => [p, informers.informer(spec.parts[p].res)])) as Record<P, Informer>;
  const informerList = [nodes, ...new Set(Object.values<Informer>(byPart))];
  const isOurs = (obj: KObject, inf: InformerLike) =>
    names.some((p) => byPart[p] === inf && (spec.parts[p].namespace ?? '') === (obj.metadata.namespace ?? '') && spec.parts[p].name === obj.metadata.name);

  return runController({
    log,
    name: spec.controller,
    informers: informerList,
    keyOf: (obj, inf) => (inf === nodes || isOurs(obj, inf) ? key : undefined),
    async reconcile() {
      const present = Object.fromEntries(names.map((p) => [p, byPart[p].get(spec.parts[p].namespace, spec.parts[p].name) !== undefined])) as Record<P, boolean>;
      for (const { part, object } of spec.plan({ hasNodes: nodes.list().length > 0, present })) {
        const { res, namespace, name } = spec.parts[part];
        try {
          await client.create(res, namespace, object);
        } catch (e) {
          // Our cache had not seen it yet: someone (or our last run) created it meanwhile.
          if (isAlreadyExists(e)) continue;
          // Our namespace was deleted and is still going: install again once it is gone.
          if (isNamespaceTerminating(e)) return { requeueAfter: TERMINATING_RETRY_MS };
          const where = namespace ? `${namespace}/${name}` : name;
          throw new Error(`installing ${spec.title}: creating ${object.kind} ${where}: ${(e as Error).message}`, { cause: e });
        }
      }
    },
  });
}

export const COREDNS_ADDON: AddonSpec<AddonPart> = {
  controller: 'coredns-addon',
  title: 'the CoreDNS add-on',
  parts: {
    serviceaccount: { res: SERVICEACCOUNTS, namespace: ADDON_NAMESPACE, name: COREDNS_NAME },
    configmap: { res: CONFIGMAPS, namespace: ADDON_NAMESPACE, name: COREDNS_NAME },
    deployment: { res: DEPLOYMENTS, namespace: ADDON_NAMESPACE, name: COREDNS_NAME },
    service: { res: SERVICES, namespace: ADDON_NAMESPACE, name: KUBE_DNS_SERVICE },
  },
  plan: missingParts,
};

export const INGRESS_NGINX_ADDON: AddonSpec<IngressNginxPart> = {
  controller: 'ingress-nginx-addon',
  title: 'the ingress-nginx add-on',
  parts: {
    namespace: { res: NAMESPACES, name: INGRESS_NAMESPACE },
    serviceaccount: { res: SERVICEACCOUNTS, namespace: INGRESS_NAMESPACE, name: SERVICE_ACCOUNT_NAME },
    configmap: { res: CONFIGMAPS, namespace: INGRESS_NAMESPACE, name: CONTROLLER_NAME },
    service: { res: SERVICES, namespace: INGRESS_NAMESPACE, name: CONTROLLER_NAME },
    deployment: { res: DEPLOYMENTS, namespace: INGRESS_NAMESPACE, name: CONTROLLER_NAME },
    ingressclass: { res: INGRESSCLASSES, name: INGRESS_CLASS_NAME },
  },
  plan: missingIngressNginxParts,
};

/** The cluster DNS add-on (kubeadm's `addon/coredns` phase). */
export function startCoreDNSAddon(client: ApiClient, informers: SharedInformers, log?: Logger, opts: CoreDNSOptions = {}): RunningController {
  return startAddon(client, informers, { ...COREDNS_ADDON, plan: (o) => missingParts(o, opts) }, log);
}

/** The ingress-nginx add-on (upstream's cloud deploy.yaml). */
export function startIngressNginxAddon(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  return startAddon(client, informers, INGRESS_NGINX_ADDON, log);
}
