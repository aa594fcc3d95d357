import type { ResourceDef, SubresourceDef } from './types.js';

// The kinds this cluster serves: names, scopes and discovery facts as upstream publishes
// them. Behaviour (defaults, validation, printing, conversion) is attached in registry.ts.
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(d: Omit<ResourceDef, 'listKind' | 'singular' | 'storageVersion'> & Partial<ResourceDef>): ResourceDef {
  return {
    listKind: `${d.kind}List`,
    singular: d.kind.toLowerCase(),
    storageVersion: d.versions[0],
    verbs: VERBS,
    generation: false,
    ...d,
  };
}

function sub(name: string, kind: string, verbs: string[], group = '', version = 'v1'): SubresourceDef {
  return { name, responseKind: { group, version, kind }, verbs };
}

const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

export const KINDS: ResourceDef[] = [
  // core/v1
  def({ group: '', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], versions: ['v1'], status: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: [sub('finalize', 'Namespace', ['update'])] }),
  def({ group: '', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], versions: ['v1'], status: true,
    subresources: [
      sub('log', 'Pod', ['get']),
      sub('exec', 'PodExecOptions', ['create', 'get']),
      sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
      sub('attach', 'PodAttachOptions', ['create', 'get']),
      sub('binding', 'Binding', ['create']),
    ] }),
  def({ group: '', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], versions: ['v1'], status: true,
    subresources: [sub('proxy', 'ServiceProxyOptions', PROXY_VERBS)], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
  def({ group: '', kind: 'Endpoints', listKind: 'EndpointsList', singular: 'endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'], versions: ['v1'] }),
  def({ group: '', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], versions: ['v1'], status: true, subresources: [sub('proxy', 'NodeProxyOptions', PROXY_VERBS)] }),
  def({ group: '', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'], versions: ['v1'] }),
  def({ group: '', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'], versions: ['v1'] }),
  def({ group: '', kind: 'Secret', plural: 'secrets', namespaced: true, versions: ['v1'] }),
  def({ group: '', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'], versions: ['v1'],
    subresources: [sub('token', 'TokenRequest', ['create'], 'authentication.k8s.io')] }),
  // apps/v1
  def({ group: 'apps', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], versions: ['v1'],
    status: true, generation: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', selectorPath: 'spec.selector' } }),
  def({ group: 'apps', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], versions: ['v1'],
    status: true, generation: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', selectorPath: 'spec.selector' } }),
  def({ group: 'apps', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], versions: ['v1'],
    status: true, generation: true }),
  // batch/v1
  def({ group: 'batch', kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], versions: ['v1'], status: true, generation: true }),
  def({ group: 'batch', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], versions: ['v1'], status: true, generation: true }),
  // autoscaling: stored as v2, served as v2, v1 and (for manifests written for it) v2beta2
  def({ group: 'autoscaling', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'],
    categories: ['all'], versions: ['v2', 'v1', 'v2beta2'], storageVersion: 'v2', status: true, generation: true }),
  // networking.k8s.io/v1
  def({ group: 'networking.k8s.io', kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], versions: ['v1'], status: true, generation: true }),
  def({ group: 'networking.k8s.io', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false, versions: ['v1'] }),
  def({ group: 'networking.k8s.io', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'], versions: ['v1'], generation: true }),
  // discovery.k8s.io/v1
  def({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true, versions: ['v1'] }),
  // coordination.k8s.io/v1
  def({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', namespaced: true, versions: ['v1'] }),
  // apiregistration.k8s.io/v1: the aggregation layer's registry of API groups served elsewhere
  def({ group: 'apiregistration.k8s.io', kind: 'APIService', plural: 'apiservices', namespaced: false, categories: ['api-extensions'], versions: ['v1'], status: true }),
  // networking.istio.io: the three versions share one schema, so conversion only rewrites apiVersion
  def({ group: 'networking.istio.io', kind: 'Gateway', plural: 'gateways', namespaced: true, shortNames: ['gw'], categories: ['istio-io', 'networking-istio-io'],
    versions: ISTIO_VERSIONS, status: true, generation: true }),
  def({ group: 'networking.istio.io', kind: 'VirtualService', plural: 'virtualservices', namespaced: true, shortNames: ['vs'], categories: ['istio-io', 'networking-istio-io'],
    versions: ISTIO_VERSIONS, status: true, generation: true }),
  def({ group: 'networking.istio.io', kind: 'DestinationRule', plural: 'destinationrules', namespaced: true, shortNames: ['dr'], categories: ['istio-io', 'networking-istio-io'],
    versions: ISTIO_VERSIONS, status: true, generation: true }),
  def({ group: 'networking.istio.io', kind: 'ServiceEntry', plural: 'serviceentries', namespaced: true, shortNames: ['se'], categories: ['istio-io', 'networking-istio-io'],
    versions: ISTIO_VERSIONS, status: true, generation: true }),
];

/** Key that names a kind across versions: `apps/Deployment`, `/Pod` for the core group. */
export function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}
