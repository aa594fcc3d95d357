// The patch-relevant shape of the built-in kinds: which lists merge by which key (the
// `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api for strategic merge, and the
// `+listType`/`+listMapKey` markers for server-side apply), which structs are atomic or
// use $retainKeys, and which fields exist in a Go zero value (what managedFields diffs a
// create against). Fields not described here behave as upstream treats unannotated
// fields: objects merge field by field, lists are replaced whole.

export interface StructSchema {
  kind: 'struct';
  fields: Record<string, Schema>;
  /** +structType=atomic: owned and replaced as one value (e.g. LabelSelector). */
  atomic?: boolean;
  /** Fields present in the Go zero value: 'struct' for a non-pointer struct, 'null' for a nil slice/pointer without omitempty. */
  zero?: Record<string, 'struct' | 'null'>;
}

/** map[string]X: every key is its own field for server-side apply. */
export interface MapSchema {
  kind: 'map';
  values?: Schema;
}

export interface ListSchema {
  kind: 'list';
  /** Strategic merge: 'merge' lists are merged (by mergeKey for objects, as a set for scalars); others are replaced. */
  strategy: 'merge' | 'replace';
  mergeKey?: string;
  /** Server-side apply list type. */
  listType: 'atomic' | 'set' | 'map';
  /** +listMapKey fields, in declaration order. */
  keys?: string[];
  /** Defaults for key fields, as the OpenAPI schema declares them (protocol: TCP). */
  keyDefaults?: Record<string, unknown>;
  items?: Schema;
}

export interface ScalarSchema {
  kind: 'scalar';
}

export type Schema = StructSchema | MapSchema | ListSchema | ScalarSchema;

const scalar: ScalarSchema = { kind: 'scalar' };

function struct(fields: Record<string, Schema>, extra: Partial<StructSchema> = {}): StructSchema {
  return { kind: 'struct', fields, ...extra };
}
function map(values?: Schema): MapSchema {
  return { kind: 'map', values };
}
/** A list merged by key in both strategic merge and server-side apply. */
function keyed(mergeKey: string, items?: Schema, opts: { keys?: string[]; keyDefaults?: Record<string, unknown> } = {}): ListSchema {
  return { kind: 'list', strategy: 'merge', mergeKey, listType: 'map', keys: opts.keys ?? [mergeKey], keyDefaults: opts.keyDefaults, items };
}
/** A scalar list merged as a set (finalizers). */
function set(): ListSchema {
  return { kind: 'list', strategy: 'merge', listType: 'set' };
}
/** A list replaced whole and owned as one value. */
function atomicList(items?: Schema): ListSchema {
  return { kind: 'list', strategy: 'replace', listType: 'atomic', items };
}

const labelSelector = struct({ matchLabels: map(), matchExpressions: atomicList() }, { atomic: true });

const condition = struct({});
const conditions = keyed('type', condition);

export const objectMeta = struct({
  labels: map(scalar),
  annotations: map(scalar),
  finalizers: set(),
  ownerReferences: keyed('uid'),
  managedFields: atomicList(),
});

const resources = struct({ limits: map(scalar), requests: map(scalar), claims: keyed('name') });

const container = struct({
  args: atomicList(),
  command: atomicList(),
  env: keyed('name', struct({ valueFrom: struct({}) })),
  envFrom: atomicList(),
  ports: keyed('containerPort', undefined, { keys: ['containerPort', 'protocol'], keyDefaults: { protocol: 'TCP' } }),
  resources,
  resizePolicy: atomicList(),
  volumeMounts: keyed('mountPath'),
  volumeDevices: keyed('devicePath'),
});

const volume = struct({});

const podSpec = struct(
  {
    containers: keyed('name', container),
    initContainers: keyed('name', container),
    ephemeralContainers: keyed('name', container),
    volumes: keyed('name', volume),
    imagePullSecrets: keyed('name'),
    hostAliases: keyed('ip', struct({ hostnames: atomicList() })),
    tolerations: atomicList(),
    topologySpreadConstraints: keyed('topologyKey', struct({ labelSelector }), { keys: ['topologyKey', 'whenUnsatisfiable'] }),
    readinessGates: atomicList(),
    resourceClaims: keyed('name', undefined),
    schedulingGates: keyed('name'),
    nodeSelector: map(scalar),
    overhead: map(scalar),
    dnsConfig: struct({ nameservers: atomicList(), searches: atomicList(), options: atomicList() }),
  },
  { zero: { containers: 'null' } },
);

const podTemplateSpec = struct({ metadata: objectMeta, spec: podSpec }, { zero: { metadata: 'struct', spec: 'struct' } });

const podStatus = struct({
  conditions,
  podIPs: keyed('ip'),
  hostIPs: keyed('ip'),
  containerStatuses: atomicList(),
  initContainerStatuses: atomicList(),
  ephemeralContainerStatuses: atomicList(),
  resourceClaimStatuses: keyed('name', undefined),
});

function root(fields: Record<string, Schema>, zero?: StructSchema['zero']): StructSchema {
  return struct({ metadata: objectMeta, ...fields }, { zero: { metadata: 'struct', ...zero } });
}

const pod = root({ spec: podSpec, status: podStatus }, { spec: 'struct', status: 'struct' });

const workloadSpec = struct(
  {
    selector: labelSelector,
    template: podTemplateSpec,
    strategy: struct({ rollingUpdate: struct({}) }),
  },
  { zero: { selector: 'null', template: 'struct' } },
);
// spec.strategy is patchStrategy=retainKeys upstream; the server honours the `$retainKeys`
// directive wherever a patch carries it, so the tag needs no entry here.
const deploymentSpec: StructSchema = { ...workloadSpec, zero: { ...workloadSpec.zero, strategy: 'struct' } };

const workloadStatus = struct({ conditions });
const deployment = root({ spec: deploymentSpec, status: workloadStatus }, { spec: 'struct', status: 'struct' });
const replicaSet = root({ spec: workloadSpec, status: workloadStatus }, { spec: 'struct', status: 'struct' });
const daemonSetSpec = struct(
  { selector: labelSelector, template: podTemplateSpec, updateStrategy: struct({ rollingUpdate: struct({}) }) },
  { zero: { selector: 'null', template: 'struct', updateStrategy: 'struct' } },
);
const daemonSet = root({ spec: daemonSetSpec, status: workloadStatus }, { spec: 'struct', status: 'struct' });
const jobSpec = struct(
  { selector: labelSelector, template: podTemplateSpec, podFailurePolicy: struct({ rules: atomicList() }) },
  { zero: { selector: 'null', template: 'struct' } },
);
const job = root({ spec: jobSpec, status: workloadStatus }, { spec: 'struct', status: 'struct' });
const cronJobSpec = struct({ jobTemplate: struct({ metadata: objectMeta, spec: jobSpec }, { zero: { metadata: 'struct', spec: 'struct' } }) }, { zero: { jobTemplate: 'struct' } });
const cronJob = root({ spec: cronJobSpec, status: struct({ active: atomicList() }) }, { spec: 'struct', status: 'struct' });

const service = root(
  {
    spec: struct({
      ports: keyed('port', undefined, { keys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } }),
      selector: map(scalar),
      externalIPs: atomicList(),
      clusterIPs: atomicList(),
      ipFamilies: atomicList(),
      loadBalancerSourceRanges: atomicList(),
    }),
    status: struct({ conditions, loadBalancer: struct({ ingress: atomicList() }) }, { zero: { loadBalancer: 'struct' } }),
  },
  { spec: 'struct', status: 'struct' },
);

const node = root(
  {
    spec: struct({ podCIDRs: set(), taints: atomicList() }),
    status: struct({ conditions, addresses: keyed('type'), images: atomicList(), capacity: map(scalar), allocatable: map(scalar) }),
  },
  { spec: 'struct', status: 'struct' },
);

const namespace = root({ spec: struct({ finalizers: atomicList() }), status: struct({ conditions }) }, { spec: 'struct', status: 'struct' });

const endpoints = root({ subsets: atomicList() });

const ingress = root(
  {
    spec: struct({ rules: atomicList(), tls: atomicList() }),
    status: struct({ loadBalancer: struct({ ingress: atomicList() }) }, { zero: { loadBalancer: 'struct' } }),
  },
  { spec: 'struct', status: 'struct' },
);

const hpa = root(
  {
    spec: struct({ metrics: atomicList(), behavior: struct({ scaleUp: struct({ policies: atomicList() }), scaleDown: struct({ policies: atomicList() }) }) }),
    status: struct({ conditions, currentMetrics: atomicList() }),
  },
  { spec: 'struct', status: 'struct' },
);

const serviceAccount = root({ secrets: keyed('name'), imagePullSecrets: atomicList() });
const configMap = root({ data: map(scalar), binaryData: map(scalar) });
const secret = root({ data: map(scalar), stringData: map(scalar) });
const endpointSlice = root({ endpoints: atomicList(), ports: atomicList() });
const networkPolicy = root({ spec: struct({ podSelector: labelSelector, ingress: atomicList(), egress: atomicList(), policyTypes: atomicList() }) }, { spec: 'struct' });

const SCHEMAS: Record<string, StructSchema> = {
  '/Pod': pod,
  '/Service': service,
  '/Node': node,
  '/Namespace': namespace,
  '/Endpoints': endpoints,
  '/ServiceAccount': serviceAccount,
  '/ConfigMap': configMap,
  '/Secret': secret,
  'apps/Deployment': deployment,
  'apps/ReplicaSet': replicaSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  'batch/CronJob': cronJob,
  'networking.k8s.io/Ingress': ingress,
  'networking.k8s.io/NetworkPolicy': networkPolicy,
  'autoscaling/HorizontalPodAutoscaler': hpa,
  'discovery.k8s.io/EndpointSlice': endpointSlice,
  '/PodTemplate': root({ template: podTemplateSpec }),
};

/** The schema of a kind; kinds without an entry still get correct metadata handling. */
export function schemaFor(group: string, kind: string): StructSchema {
  return SCHEMAS[`${group}/${kind}`] ?? root({});
}

/** The schema of field `name` inside `parent`, if described. */
export function fieldSchema(parent: Schema | undefined, name: string): Schema | undefined {
  if (!parent) return undefined;
  if (parent.kind === 'struct') return parent.fields[name];
  if (parent.kind === 'map') return parent.values;
  return undefined;
}

/** The Go zero value of a struct schema, as the fields it always serialises. */
export function zeroValue(s: StructSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, how] of Object.entries(s.zero ?? {})) {
    const f = s.fields[name];
    out[name] = how === 'struct' && f?.kind === 'struct' ? zeroValue(f) : how === 'struct' ? {} : null;
  }
  return out;
}
