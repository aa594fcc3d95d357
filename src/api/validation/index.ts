import type { FieldError, KObject, ResourceDef } from '../types.js';
import { KINDS, kindKey } from '../kinds.js';
import { validateDeployment, validateReplicaSet } from './apps.js';
import { validateDaemonSet } from './daemonset.js';
import { validateConfigMap } from './configmap.js';
import { validateEndpoints } from './endpoints.js';
import { validateEndpointSlice } from './endpointslice.js';
import { validateEvent } from './event.js';
import { validateJob } from './job.js';
import { validateCronJob } from './cronjob.js';
import { validateHPA } from './hpa.js';
import { validateIngress, validateIngressClass } from './ingress.js';
import { validateIstioObject } from './istio.js';
import { validateLease } from './lease.js';
import { validateObjectMeta } from './meta.js';
import { validateNamespace } from './namespace.js';
import { validateNetworkPolicy } from './networkpolicy.js';
import { validateNode } from './node.js';
import { validatePod } from './pod.js';
import { validateSecret } from './secret.js';
import { validateService } from './service.js';

export { formatFieldError, causeMessage, invalidMessage } from './field.js';
export { validateObjectMeta } from './meta.js';

type KindValidator = (obj: KObject, old?: KObject) => FieldError[];

/** The spec rules of each kind; metadata rules are added for every kind below. */
const SPEC_RULES: Record<string, KindValidator> = {
  [kindKey('', 'Pod')]: validatePod,
  [kindKey('', 'Service')]: validateService,
  [kindKey('', 'Namespace')]: validateNamespace,
  [kindKey('', 'ConfigMap')]: validateConfigMap,
  [kindKey('', 'Secret')]: validateSecret,
  [kindKey('', 'Endpoints')]: validateEndpoints,
  [kindKey('', 'Event')]: validateEvent,
  [kindKey('', 'Node')]: validateNode,
  [kindKey('apps', 'Deployment')]: validateDeployment,
  [kindKey('apps', 'ReplicaSet')]: validateReplicaSet,
  [kindKey('apps', 'DaemonSet')]: validateDaemonSet,
  [kindKey('batch', 'Job')]: validateJob,
  [kindKey('batch', 'CronJob')]: validateCronJob,
  [kindKey('autoscaling', 'HorizontalPodAutoscaler')]: validateHPA,
  [kindKey('networking.k8s.io', 'Ingress')]: validateIngress,
  [kindKey('networking.k8s.io', 'IngressClass')]: validateIngressClass,
  [kindKey('networking.k8s.io', 'NetworkPolicy')]: validateNetworkPolicy,
  [kindKey('discovery.k8s.io', 'EndpointSlice')]: validateEndpointSlice,
  [kindKey('coordination.k8s.io', 'Lease')]: validateLease,
  [kindKey('networking.istio.io', 'Gateway')]: (obj) => validateIstioObject('Gateway', obj),
  [kindKey('networking.istio.io', 'VirtualService')]: (obj) => validateIstioObject('VirtualService', obj),
  [kindKey('networking.istio.io', 'DestinationRule')]: (obj) => validateIstioObject('DestinationRule', obj),
  [kindKey('networking.istio.io', 'ServiceEntry')]: (obj) => validateIstioObject('ServiceEntry', obj),
};

/** Metadata then spec rules for one kind, in upstream's order. */
export function validatorFor(def: ResourceDef): KindValidator {
  const spec = SPEC_RULES[kindKey(def.group, def.kind)];
  return (obj, old) => [...validateObjectMeta(def, obj, old), ...(spec ? spec(obj, old) : [])];
}

/** Validators by kind key; they run on the storage version after defaulting. */
export const validators: Record<string, (obj: KObject, old?: KObject) => FieldError[]> = Object.fromEntries(
  KINDS.map((d) => [kindKey(d.group, d.kind), validatorFor(d)]),
);
