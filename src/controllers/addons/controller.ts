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
import { METRICS_APISERVICE, METRICS_SERVER_CERT_SECRET, METRICS_SERVER_NAME, missingMetricsServerParts, type MetricsServerPart, type ServingPair } from './metrics-server.js';
import { GATEWAY_NAME, GATEWAY_SERVICE_ACCOUNT, ISTIOD_CERT_SECRET, ISTIOD_NAME, ISTIOD_SERVICE_ACCOUNT, ISTIO_NAMESPACE, ZTUNNEL_NAME, missingIstioParts, type IstioPart } from './istio.js';
import type { Logger } from '../../log.js';
import { APISERVICES, CONFIGMAPS, DAEMONSETS, DEPLOYMENTS, INGRESSCLASSES, NAMESPACES, SECRETS, SERVICEACCOUNTS, SERVICES } from '../../client/resources.js';

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
  plan: (o: { present: Record<P, boolean> }) => { part: P; object: KObject }[];
  /**
   * Deployments that must be Available before a first install: add-ons a cluster is usable
   * without start after those it needs, instead of taking CPU from them while `up` waits.
   */
  after?: PartLocation[];
}

/** The add-ons `skiff up` waits for: cluster DNS and the ingress controller. */
const CORE_ADDONS: PartLocation[] = [
  { res: DEPLOYMENTS, namespace: ADDON_NAMESPACE, name: COREDNS_NAME },
  { res: DEPLOYMENTS, namespace: INGRESS_NAMESPACE, name: CONTROLLER_NAME },
];

function isAvailable(obj: KObject | undefined): boolean {
  const conds = (obj?.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === 'Available' && c.status === 'True');
}

/** How soon to look again while a namespace of ours is still being deleted. */
const TERMINATING_RETRY_MS = 1000;

/**
 * An add-on installer: kubeadm's `addon/*` phases as a controller, so a part that is deleted
 * comes back and parts that exist (with the user's edits) are left alone. Like kubeadm's, it
 * installs before any node is Ready: the pods wait in the scheduling queue and start the moment
 * a node can take them, instead of the whole Deployment → ReplicaSet → Pod chain starting only
 * then. The add-on as a whole is the one key.
 */
export function startAddon<P extends string>(client: ApiClient, informers: SharedInformers, spec: AddonSpec<P>, log?: Logger): RunningController {
  const key = spec.controller;
  const names = Object.keys(spec.parts) as P[];
  const byPart = Object.fromEntries(names.map((p) => [p, informers.informer(spec.parts[p].res)])) as Record<P, Informer>;
  const after = (spec.after ?? []).map((loc) => ({ loc, inf: informers.informer(loc.res) }));
  const informerList = [...new Set([...Object.values<Informer>(byPart), ...after.map((a) => a.inf)])];
  const at = (loc: PartLocation, obj: KObject) => (loc.namespace ?? '') === (obj.metadata.namespace ?? '') && loc.name === obj.metadata.name;
  const isOurs = (obj: KObject, inf: InformerLike) =>
    names.some((p) => byPart[p] === inf && at(spec.parts[p], obj)) || after.some((a) => a.inf === inf && at(a.loc, obj));

  const running = runController({
    log,
    name: spec.controller,
    informers: informerList,
    keyOf: (obj, inf) => (isOurs(obj, inf) ? key : undefined),
    async reconcile() {
      const present = Object.fromEntries(names.map((p) => [p, byPart[p].get(spec.parts[p].namespace, spec.parts[p].name) !== undefined])) as Record<P, boolean>;
      const firstInstall = !Object.values(present).some(Boolean);
      if (firstInstall && after.some((a) => !isAvailable(a.inf.get(a.loc.namespace, a.loc.name)))) return;
      for (const { part, object } of spec.plan({ present })) {
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
  // Nothing of the add-on may exist yet, so no event would start the first install.
  void running.ready.then(() => running.queue.add(key));
  return running;
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

export const METRICS_SERVER_ADDON: AddonSpec<MetricsServerPart> = {
  controller: 'metrics-server-addon',
  title: 'the metrics-server add-on',
  parts: {
    serviceaccount: { res: SERVICEACCOUNTS, namespace: ADDON_NAMESPACE, name: METRICS_SERVER_NAME },
    certificate: { res: SECRETS, namespace: ADDON_NAMESPACE, name: METRICS_SERVER_CERT_SECRET },
    service: { res: SERVICES, namespace: ADDON_NAMESPACE, name: METRICS_SERVER_NAME },
    deployment: { res: DEPLOYMENTS, namespace: ADDON_NAMESPACE, name: METRICS_SERVER_NAME },
    apiservice: { res: APISERVICES, name: METRICS_APISERVICE },
  },
  plan: missingMetricsServerParts,
  after: CORE_ADDONS,
};

/**
 * metrics-server (upstream's components.yaml), serving with the given certificate, read when the
 * add-on is installed: `up` writes the pair while the control plane starts.
 */
export function startMetricsServerAddon(client: ApiClient, informers: SharedInformers, log?: Logger, serving?: () => ServingPair | undefined): RunningController {
  return startAddon(client, informers, { ...METRICS_SERVER_ADDON, plan: (o) => missingMetricsServerParts(o, serving?.()) }, log);
}

export const ISTIO_ADDON: AddonSpec<IstioPart> = {
  controller: 'istio-addon',
  title: 'the Istio add-on',
  parts: {
    namespace: { res: NAMESPACES, name: ISTIO_NAMESPACE },
    istiodServiceAccount: { res: SERVICEACCOUNTS, namespace: ISTIO_NAMESPACE, name: ISTIOD_SERVICE_ACCOUNT },
    istiodCertificate: { res: SECRETS, namespace: ISTIO_NAMESPACE, name: ISTIOD_CERT_SECRET },
    istiodService: { res: SERVICES, namespace: ISTIO_NAMESPACE, name: ISTIOD_NAME },
    istiod: { res: DEPLOYMENTS, namespace: ISTIO_NAMESPACE, name: ISTIOD_NAME },
    gatewayServiceAccount: { res: SERVICEACCOUNTS, namespace: ISTIO_NAMESPACE, name: GATEWAY_SERVICE_ACCOUNT },
    gatewayService: { res: SERVICES, namespace: ISTIO_NAMESPACE, name: GATEWAY_NAME },
    gateway: { res: DEPLOYMENTS, namespace: ISTIO_NAMESPACE, name: GATEWAY_NAME },
    ztunnelServiceAccount: { res: SERVICEACCOUNTS, namespace: ISTIO_NAMESPACE, name: ZTUNNEL_NAME },
    ztunnel: { res: DAEMONSETS, namespace: ISTIO_NAMESPACE, name: ZTUNNEL_NAME },
  },
  plan: missingIstioParts,
  after: CORE_ADDONS,
};

/** The cluster DNS add-on (kubeadm's `addon/coredns` phase). */
export function startCoreDNSAddon(client: ApiClient, informers: SharedInformers, log?: Logger, opts: CoreDNSOptions = {}): RunningController {
  return startAddon(client, informers, { ...COREDNS_ADDON, plan: (o) => missingParts(o, opts) }, log);
}

/** The ingress-nginx add-on (upstream's cloud deploy.yaml). */
export function startIngressNginxAddon(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  return startAddon(client, informers, INGRESS_NGINX_ADDON, log);
}

/**
 * Istio's default profile: istiod (serving its discovery stream with the given certificate, read
 * when the add-on is installed), the ingress gateway and ambient's ztunnel DaemonSet.
 */
export function startIstioAddon(client: ApiClient, informers: SharedInformers, log?: Logger, serving?: () => ServingPair | undefined): RunningController {
  return startAddon(client, informers, { ...ISTIO_ADDON, plan: (o) => missingIstioParts(o, serving?.()) }, log);
}
