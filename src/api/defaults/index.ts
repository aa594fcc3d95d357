import type { KObject } from '../types.js';
import { kindKey } from '../kinds.js';
import { defaultDeployment, defaultReplicaSet } from './apps.js';
import { defaultDaemonSet } from './daemonset.js';
import { defaultEndpoints, defaultNamespace, defaultNode, defaultSecret } from './core.js';
import { defaultHPA } from './hpa.js';
import { defaultJob } from './job.js';
import { defaultCronJob } from './cronjob.js';
import { defaultEndpointSlice, defaultIngressClass, defaultNetworkPolicy } from './networking.js';
import { defaultPod } from './pod.js';
import { defaultService } from './service.js';

export { defaultPodTemplate, defaultPodSpec, defaultContainer } from './pod.js';

/**
 * Defaulting functions by kind key; they run on the storage version, in place, and running
 * one twice changes nothing the second time. Kinds with no upstream defaults (ConfigMap,
 * ServiceAccount, Event, Lease, Ingress, the Istio kinds) have no entry.
 */
export const defaulters: Record<string, (obj: KObject) => void> = {
  [kindKey('', 'Pod')]: defaultPod,
  [kindKey('', 'Service')]: defaultService,
  [kindKey('', 'Secret')]: defaultSecret,
  [kindKey('', 'Namespace')]: defaultNamespace,
  [kindKey('', 'Endpoints')]: defaultEndpoints,
  [kindKey('', 'Node')]: defaultNode,
  [kindKey('apps', 'Deployment')]: defaultDeployment,
  [kindKey('apps', 'ReplicaSet')]: defaultReplicaSet,
  [kindKey('apps', 'DaemonSet')]: defaultDaemonSet,
  [kindKey('batch', 'Job')]: defaultJob,
  [kindKey('batch', 'CronJob')]: defaultCronJob,
  [kindKey('autoscaling', 'HorizontalPodAutoscaler')]: defaultHPA,
  [kindKey('networking.k8s.io', 'NetworkPolicy')]: defaultNetworkPolicy,
  [kindKey('networking.k8s.io', 'IngressClass')]: defaultIngressClass,
  [kindKey('discovery.k8s.io', 'EndpointSlice')]: defaultEndpointSlice,
};
