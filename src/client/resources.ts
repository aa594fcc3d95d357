import type { IAPIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { ILease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IIngressClass } from 'kubernetes-models/networking.k8s.io/v1/IngressClass';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IEndpoints } from 'kubernetes-models/v1/Endpoints';
import type { IEvent } from 'kubernetes-models/v1/Event';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { KINDS } from '../api/kinds.js';
import type { ObjectOf } from '../api/types.js';
import type { Resource } from './client.js';

// The typed resources the cluster's own components use, as client-go's typed clientset names
// them: one place, so a controller, the scheduler, the node agent and the add-ons say PODS and
// get ObjectOf<IPod> from their informers and listers. Group, plural, scope and the preferred
// version come from the kinds the API server serves (api/kinds.ts); only the TypeScript type is
// attached here. A lookup at load rather than a generated file: KINDS is plain data the client
// may import, so there is no second copy to regenerate or drift.

function resource<T extends { kind: string }>(group: string, kind: T['kind']): Resource<ObjectOf<T>> {
  const def = KINDS.find((d) => d.group === group && d.kind === kind);
  if (!def) throw new Error(`typed resource ${group ? `${group}/` : ''}${kind}: no such kind is served (api/kinds.ts)`);
  return { group, version: def.versions[0], plural: def.plural, kind, namespaced: def.namespaced };
}

export type Pod = ObjectOf<IPod>;
export type Node = ObjectOf<INode>;
export type Namespace = ObjectOf<INamespace>;
export type Service = ObjectOf<IService>;
export type Endpoints = ObjectOf<IEndpoints>;
export type EndpointSlice = ObjectOf<IEndpointSlice>;
export type ConfigMap = ObjectOf<IConfigMap>;
export type Secret = ObjectOf<ISecret>;
export type ServiceAccount = ObjectOf<IServiceAccount>;
export type Event = ObjectOf<IEvent>;
export type Lease = ObjectOf<ILease>;
export type Deployment = ObjectOf<IDeployment>;
export type ReplicaSet = ObjectOf<IReplicaSet>;
export type DaemonSet = ObjectOf<IDaemonSet>;
export type Job = ObjectOf<IJob>;
export type CronJob = ObjectOf<ICronJob>;
export type Ingress = ObjectOf<IIngress>;
export type IngressClass = ObjectOf<IIngressClass>;
export type NetworkPolicy = ObjectOf<INetworkPolicy>;

export const PODS = resource<IPod>('', 'Pod');
export const NODES = resource<INode>('', 'Node');
export const NAMESPACES = resource<INamespace>('', 'Namespace');
export const SERVICES = resource<IService>('', 'Service');
export const ENDPOINTS = resource<IEndpoints>('', 'Endpoints');
export const CONFIGMAPS = resource<IConfigMap>('', 'ConfigMap');
export const SECRETS = resource<ISecret>('', 'Secret');
export const SERVICEACCOUNTS = resource<IServiceAccount>('', 'ServiceAccount');
export const EVENTS = resource<IEvent>('', 'Event');
export const ENDPOINTSLICES = resource<IEndpointSlice>('discovery.k8s.io', 'EndpointSlice');
export const LEASES = resource<ILease>('coordination.k8s.io', 'Lease');
export const DEPLOYMENTS = resource<IDeployment>('apps', 'Deployment');
export const REPLICASETS = resource<IReplicaSet>('apps', 'ReplicaSet');
export const DAEMONSETS = resource<IDaemonSet>('apps', 'DaemonSet');
export const JOBS = resource<IJob>('batch', 'Job');
export const CRONJOBS = resource<ICronJob>('batch', 'CronJob');
export const INGRESSES = resource<IIngress>('networking.k8s.io', 'Ingress');
export const INGRESSCLASSES = resource<IIngressClass>('networking.k8s.io', 'IngressClass');
export const NETWORKPOLICIES = resource<INetworkPolicy>('networking.k8s.io', 'NetworkPolicy');
export const HORIZONTALPODAUTOSCALERS = resource<IHorizontalPodAutoscaler>('autoscaling', 'HorizontalPodAutoscaler');
export const APISERVICES = resource<IAPIService>('apiregistration.k8s.io', 'APIService');
export const SERVICEENTRIES = resource<IServiceEntry>('networking.istio.io', 'ServiceEntry');
export const GATEWAYS = resource<IGateway>('networking.istio.io', 'Gateway');
export const VIRTUALSERVICES = resource<IVirtualService>('networking.istio.io', 'VirtualService');
export const DESTINATIONRULES = resource<IDestinationRule>('networking.istio.io', 'DestinationRule');
