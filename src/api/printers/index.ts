import { kindKey } from '../kinds.js';
import type { Printer } from '../types.js';
import { apiServicePrinter } from './apiservice.js';
import { configMapPrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { daemonSetPrinter } from './daemonset.js';
import { jobPrinter } from './job.js';
import { cronJobPrinter } from './cronjob.js';
import { endpointsPrinter } from './endpoints.js';
import { endpointSlicePrinter } from './endpointslice.js';
import { eventPrinter } from './event.js';
import { hpaPrinter } from './hpa.js';
import { ingressClassPrinter, ingressPrinter } from './ingress.js';
import { destinationRulePrinter, gatewayPrinter, serviceEntryPrinter, virtualServicePrinter } from './istio.js';
import { leasePrinter } from './lease.js';
import { namespacePrinter } from './namespace.js';
import { networkPolicyPrinter } from './networkpolicy.js';
import { nodePrinter } from './node.js';
import { podPrinter } from './pod.js';
import { servicePrinter } from './service.js';
import { deploymentPrinter, replicaSetPrinter } from './workloads.js';

export { defaultPrinter } from './default.js';
export { toTable, type TableOptions } from './table.js';
export { crdPrinter, type CrdColumn } from './crd.js';

/** Table printers by kind key (`apps/Deployment`, `/Pod`). Kinds without one get Name + Created At. */
export const printers: Record<string, Printer> = {
  [kindKey('', 'Namespace')]: namespacePrinter,
  [kindKey('', 'Pod')]: podPrinter,
  [kindKey('', 'Service')]: servicePrinter,
  [kindKey('', 'Endpoints')]: endpointsPrinter,
  [kindKey('', 'Node')]: nodePrinter,
  [kindKey('', 'Event')]: eventPrinter,
  [kindKey('', 'ConfigMap')]: configMapPrinter,
  [kindKey('', 'Secret')]: secretPrinter,
  [kindKey('', 'ServiceAccount')]: serviceAccountPrinter,
  [kindKey('apps', 'Deployment')]: deploymentPrinter,
  [kindKey('apps', 'ReplicaSet')]: replicaSetPrinter,
  [kindKey('apps', 'DaemonSet')]: daemonSetPrinter,
  [kindKey('batch', 'Job')]: jobPrinter,
  [kindKey('batch', 'CronJob')]: cronJobPrinter,
  [kindKey('autoscaling', 'HorizontalPodAutoscaler')]: hpaPrinter,
  [kindKey('networking.k8s.io', 'Ingress')]: ingressPrinter,
  [kindKey('networking.k8s.io', 'IngressClass')]: ingressClassPrinter,
  [kindKey('networking.k8s.io', 'NetworkPolicy')]: networkPolicyPrinter,
  [kindKey('discovery.k8s.io', 'EndpointSlice')]: endpointSlicePrinter,
  [kindKey('coordination.k8s.io', 'Lease')]: leasePrinter,
  [kindKey('apiregistration.k8s.io', 'APIService')]: apiServicePrinter,
  [kindKey('networking.istio.io', 'Gateway')]: gatewayPrinter,
  [kindKey('networking.istio.io', 'VirtualService')]: virtualServicePrinter,
  [kindKey('networking.istio.io', 'DestinationRule')]: destinationRulePrinter,
  [kindKey('networking.istio.io', 'ServiceEntry')]: serviceEntryPrinter,
};
