import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

// Validators take request bodies as unknown JSON and narrow every value they read: a value of
// any JSON type anywhere in an object gives field errors (or none), never an exception.

const JUNK: unknown[] = [null, 0, -1, 1.5, '', 'x', true, [], [null], ['x'], [1], {}, { a: 1 }, [{}]];

const meta = { name: 'a', namespace: 'default' };
const container = {
  name: 'c', image: 'nginx', imagePullPolicy: 'Always', terminationMessagePolicy: 'File',
  ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
  env: [{ name: 'A', value: 'b' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  volumeMounts: [{ name: 'v', mountPath: '/v' }],
  resources: { limits: { cpu: '1' }, requests: { cpu: '500m' } },
  securityContext: { runAsUser: 1, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'] }, seccompProfile: { type: 'Localhost', localhostProfile: 'p' } },
  livenessProbe: { httpGet: { port: 80, scheme: 'HTTP' }, periodSeconds: 10 },
};
const podSpec = {
  containers: [container], initContainers: [{ ...container, name: 'i', restartPolicy: 'Always', ports: [{ containerPort: 81, protocol: 'TCP' }] }],
  volumes: [{ name: 'v', hostPath: { path: '/x', type: 'Directory' } }],
  restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', nodeSelector: { a: 'b' },
  tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 5 }],
  securityContext: { fsGroup: 1, supplementalGroups: [1], sysctls: [{ name: 'net.core.somaxconn', value: '1' }], seccompProfile: { type: 'RuntimeDefault' } },
};
const selector = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] };
const template = { metadata: { labels: { app: 'a', k: 'v' } }, spec: podSpec };

const SAMPLES: [string, KObject][] = [
  ['', { kind: 'Pod', metadata: meta, spec: podSpec }],
  ['', { kind: 'Service', metadata: meta, spec: {
    type: 'LoadBalancer', ports: [{ name: 'p', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }], selector: { app: 'a' },
    sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } }, clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'],
    ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', externalIPs: ['1.2.3.4'], loadBalancerSourceRanges: ['1.0.0.0/8'],
    externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, healthCheckNodePort: 30000,
  } }],
  ['', { kind: 'Namespace', metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] } }],
  ['', { kind: 'Endpoints', metadata: meta, subsets: [{ addresses: [{ ip: '10.1.0.1', hostname: 'h' }], notReadyAddresses: [{ ip: '10.1.0.2' }], ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }] }],
  ['', { kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], podCIDRs: ['10.0.0.0/24'] },
    status: { capacity: { cpu: '2' }, allocatable: { cpu: '2' } } }],
  ['apps', { kind: 'Deployment', metadata: meta, spec: {
    replicas: 1, selector, template, minReadySeconds: 1, progressDeadlineSeconds: 600, revisionHistoryLimit: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
  } }],
  ['apps', { kind: 'ReplicaSet', metadata: meta, spec: { replicas: 1, selector, template } }],
  ['autoscaling', { kind: 'HorizontalPodAutoscaler', metadata: meta, spec: {
    scaleTargetRef: { kind: 'Deployment', name: 'a' }, minReplicas: 1, maxReplicas: 3,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'Object', object: { describedObject: { kind: 'Service', name: 's' }, metric: { name: 'm' }, target: { type: 'Value', value: '1' } } }],
    behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] } },
  } }],
  ['networking.k8s.io', { kind: 'Ingress', metadata: meta, spec: {
    ingressClassName: 'c', defaultBackend: { service: { name: 's', port: { number: 80 } } }, tls: [{ hosts: ['a.example'], secretName: 's' }],
    rules: [{ host: '*.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'g', kind: 'K', name: 'n' } } }] } }],
  } }],
  ['networking.k8s.io', { kind: 'IngressClass', metadata: { name: 'c' }, spec: { controller: 'example.com/c', parameters: { kind: 'K', name: 'n', scope: 'Namespace', namespace: 'ns' } } }],
  ['networking.k8s.io', { kind: 'NetworkPolicy', metadata: meta, spec: {
    podSelector: selector, policyTypes: ['Ingress', 'Egress'],
    ingress: [{ ports: [{ protocol: 'TCP', port: 80, endPort: 90 }], from: [{ podSelector: selector }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
    egress: [{ ports: [{ port: 'http' }], to: [{ namespaceSelector: {} }] }],
  } }],
  ['discovery.k8s.io', { kind: 'EndpointSlice', metadata: meta, addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.0.1'], hostname: 'h', targetRef: { kind: 'Pod', name: 'p' } }], ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }],
];

/** Every path into v (objects and arrays), the root excluded. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...at, i], ...paths(x, [...at, i])]);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]);
  return [];
}

function replaced(obj: KObject, path: (string | number)[], value: unknown): KObject {
  const out = structuredClone(obj);
  let cur = out as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) cur = cur[step] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = structuredClone(value);
  return out;
}

test('every sample is valid as written, so that junk in it is what the validators see', () => {
  for (const [group, obj] of SAMPLES) {
    assert.deepEqual(validators[kindKey(group, obj.kind!)](obj).map(formatFieldError), [], obj.kind);
  }
});

test('a value of any JSON type at any field gives field errors, never an exception, on create and update', () => {
  let checked = 0;
  for (const [group, sample] of SAMPLES) {
    const validate = validators[kindKey(group, sample.kind!)];
    for (const path of paths(sample).filter((p) => p[0] !== 'kind' && p[0] !== 'metadata')) {
      for (const junk of JUNK) {
        const obj = replaced(sample, path, junk);
        const where = `${sample.kind} ${path.join('.')} = ${JSON.stringify(junk)}`;
        assert.doesNotThrow(() => validate(obj).map(formatFieldError), where);
        assert.doesNotThrow(() => validate(obj, sample).map(formatFieldError), `${where} (update)`);
        assert.doesNotThrow(() => validate(sample, obj).map(formatFieldError), `${where} (update from it)`);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000);
});

test('values of the wrong type are reported where they are', () => {
  const [, pod] = SAMPLES[0];
  const errs = (path: (string | number)[], value: unknown) => validators[kindKey('', 'Pod')](replaced(pod, path, value)).map(formatFieldError);
  assert.ok(errs(['spec', 'tolerations', 0, 'effect'], 7).includes('spec.tolerations[0].effect: Unsupported value: 7: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'));
  assert.ok(errs(['spec', 'restartPolicy'], 7).includes('spec.restartPolicy: Unsupported value: 7: supported values: "Always", "OnFailure", "Never"'));
  assert.ok(errs(['spec', 'containers', 0, 'ports', 0, 'containerPort'], '80').includes('spec.containers[0].ports[0].containerPort: Invalid value: "80": must be between 1 and 65535, inclusive'));
  assert.ok(errs(['spec', 'containers', 0, 'env', 0], 'A=b').includes('spec.containers[0].env[0].name: Required value'));
});
