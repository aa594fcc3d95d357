import type { IAPIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { ILease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
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
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import type { ObjectOf } from '../api/types.js';
import type { Resource } from './client.js';

// The typed resources the cluster's own components use, as client-go's typed clientset names
// them: one place, so a controller, the scheduler, the node agent and the add-ons say PODS and
// get ObjectOf<IPod> from their informers and listers.

function resource<T>(group: string, version: string, plural: string, kind: string, namespaced: boolean): Resource<ObjectOf<T>> {
  return { group, version, plural, kind, namespaced };
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
export type Ingress = ObjectOf<IIngress>;
export type IngressClass = ObjectOf<IIngressClass>;
export type NetworkPolicy = ObjectOf<INetworkPolicy>;

export const PODS = resource<IPod>('', 'v1', 'pods', 'Pod', true);
export const NODES = resource<INode>('', 'v1', 'nodes', 'Node', false);
export const NAMESPACES = resource<INamespace>('', 'v1', 'namespaces', 'Namespace', false);
export const SERVICES = resource<IService>('', 'v1', 'services', 'Service', true);
export const ENDPOINTS = resource<IEndpoints>('', 'v1', 'endpoints', 'Endpoints', true);
export const CONFIGMAPS = resource<IConfigMap>('', 'v1', 'configmaps', 'ConfigMap', true);
export const SECRETS = resource<ISecret>('', 'v1', 'secrets', 'Secret', true);
export const SERVICEACCOUNTS = resource<IServiceAccount>('', 'v1', 'serviceaccounts', 'ServiceAccount', true);
export const EVENTS = resource<IEvent>('', 'v1', 'events', 'Event', true);
export const ENDPOINTSLICES = resource<IEndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true);
export const LEASES = resource<ILease>('coordination.k8s.io', 'v1', 'leases', 'Lease', true);
export const DEPLOYMENTS = resource<IDeployment>('apps', 'v1', 'deployments', 'Deployment', true);
export const REPLICASETS = resource<IReplicaSet>('apps', 'v1', 'replicasets', 'ReplicaSet', true);
export const DAEMONSETS = resource<IDaemonSet>('apps', 'v1', 'daemonsets', 'DaemonSet', true);
export const INGRESSES = resource<IIngress>('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true);
export const INGRESSCLASSES = resource<IIngressClass>('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false);
export const NETWORKPOLICIES = resource<INetworkPolicy>('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true);
export const HORIZONTALPODAUTOSCALERS = resource<IHorizontalPodAutoscaler>('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true);
export const APISERVICES = resource<IAPIService>('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false);
export const SERVICEENTRIES = resource<IServiceEntry>('networking.istio.io', 'v1', 'serviceentries', 'ServiceEntry', true);
