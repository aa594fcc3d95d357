// Merge semantics that upstream publishes as vendor extensions and that the model library
// drops: they come from Go struct tags and `+listType` markers in k8s.io/api, which no
// declaration file carries. Strategic merge patch (kubectl apply, set, rollout) and
// server-side apply read them, so they are kept here, per schema and field, as upstream
// declares them.

import type { Schema } from './schema.js';

interface Semantics {
  mergeKey?: string;
  strategy?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
}

const mapBy = (key: string, strategy = 'merge', extraKeys: string[] = []): Semantics => ({
  mergeKey: key,
  strategy,
  listType: 'map',
  mapKeys: [key, ...extraKeys],
});
const atomic: Semantics = { listType: 'atomic' };
const conditions = mapBy('type');

// Keyed by `<schema name suffix after io.k8s.>` → field.
const TABLE: Record<string, Record<string, Semantics>> = {
  'apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: mapBy('uid'),
    managedFields: atomic,
  },
  'apimachinery.pkg.apis.meta.v1.LabelSelector': { matchExpressions: atomic },
  'apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': { values: atomic },
  'api.core.v1.PodSpec': {
    volumes: mapBy('name', 'merge,retainKeys'),
    initContainers: mapBy('name'),
    containers: mapBy('name'),
    ephemeralContainers: mapBy('name'),
    imagePullSecrets: mapBy('name'),
    hostAliases: mapBy('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    topologySpreadConstraints: mapBy('topologyKey', 'merge', ['whenUnsatisfiable']),
    schedulingGates: mapBy('name'),
    resourceClaims: mapBy('name', 'merge,retainKeys'),
  },
  'api.core.v1.Container': containerLists(),
  'api.core.v1.EphemeralContainer': containerLists(),
  'api.core.v1.PodStatus': {
    conditions,
    podIPs: mapBy('ip'),
    hostIPs: mapBy('ip'),
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
  },
  'api.core.v1.ServiceSpec': {
    ports: mapBy('port', 'merge', ['protocol']),
    clusterIPs: atomic,
    externalIPs: atomic,
    ipFamilies: atomic,
    loadBalancerSourceRanges: atomic,
  },
  'api.core.v1.ServiceStatus': { conditions },
  'api.core.v1.LoadBalancerStatus': { ingress: atomic },
  'api.core.v1.NodeSpec': { podCIDRs: { strategy: 'merge', listType: 'set' }, taints: atomic },
  'api.core.v1.NodeStatus': { conditions, addresses: mapBy('type'), volumesInUse: atomic, volumesAttached: atomic, images: atomic },
  'api.core.v1.NamespaceSpec': { finalizers: atomic },
  'api.core.v1.NamespaceStatus': { conditions },
  'api.core.v1.ServiceAccount': { secrets: mapBy('name'), imagePullSecrets: atomic },
  'api.core.v1.Endpoints': { subsets: atomic },
  'api.core.v1.EndpointSubset': { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  'api.apps.v1.DeploymentSpec': { strategy: { strategy: 'retainKeys' } },
  'api.apps.v1.DeploymentStatus': { conditions },
  'api.apps.v1.ReplicaSetStatus': { conditions },
  'api.apps.v1.DaemonSetStatus': { conditions },
  // Merged by type under strategic merge, yet atomic to server-side apply, as k8s.io/api declares it.
  'api.batch.v1.JobStatus': { conditions: { mergeKey: 'type', strategy: 'merge', listType: 'atomic' } },
  'api.batch.v1.UncountedTerminatedPods': { succeeded: { listType: 'set' }, failed: { listType: 'set' } },
  'api.batch.v1.PodFailurePolicy': { rules: atomic },
  'api.batch.v1.CronJobStatus': { active: atomic },
  'api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomic },
  'api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions, currentMetrics: atomic },
  'api.autoscaling.v2.HPAScalingRules': { policies: atomic },
  'api.networking.v1.IngressSpec': { tls: atomic, rules: atomic },
  'api.networking.v1.IngressTLS': { hosts: atomic },
  'api.networking.v1.HTTPIngressRuleValue': { paths: atomic },
  'api.networking.v1.NetworkPolicySpec': { ingress: atomic, egress: atomic, policyTypes: atomic },
  'api.networking.v1.NetworkPolicyIngressRule': { ports: atomic, from: atomic },
  'api.networking.v1.NetworkPolicyEgressRule': { ports: atomic, to: atomic },
  'api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'api.discovery.v1.Endpoint': { addresses: { listType: 'set' } },
};

function containerLists(): Record<string, Semantics> {
  return {
    ports: mapBy('containerPort', 'merge', ['protocol']),
    env: mapBy('name'),
    envFrom: atomic,
    volumeMounts: mapBy('mountPath'),
    volumeDevices: mapBy('devicePath'),
    resizePolicy: atomic,
    command: atomic,
    args: atomic,
  };
}

// Upstream marks these structs as atomic maps (+structType=atomic / +mapType=atomic).
const ATOMIC_STRUCTS = new Set(['apimachinery.pkg.apis.meta.v1.LabelSelector', 'apimachinery.pkg.apis.meta.v1.OwnerReference']);

/** Adds upstream's list/patch extensions to a schema named `name` (in place). */
export function applyListSemantics(name: string, schema: Schema): void {
  if (!name.startsWith('io.k8s.')) return;
  let key = name.slice('io.k8s.'.length);
  // v2beta2 kept v2's shape and markers.
  key = key.replace('api.autoscaling.v2beta2.', 'api.autoscaling.v2.');
  if (ATOMIC_STRUCTS.has(key)) schema['x-kubernetes-map-type'] = 'atomic';
  const fields = TABLE[key];
  if (!fields || !schema.properties) return;
  for (const [field, sem] of Object.entries(fields)) {
    const prop = schema.properties[field];
    if (!prop) continue;
    if (sem.listType) prop['x-kubernetes-list-type'] = sem.listType;
    if (sem.mapKeys) prop['x-kubernetes-list-map-keys'] = sem.mapKeys;
    if (sem.mergeKey) prop['x-kubernetes-patch-merge-key'] = sem.mergeKey;
    if (sem.strategy) prop['x-kubernetes-patch-strategy'] = sem.strategy;
  }
}
