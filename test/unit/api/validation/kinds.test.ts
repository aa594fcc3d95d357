import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

/** Defaults then validates, as the apiserver does on create (old set: update). */
function check(group: string, obj: KObject, old?: KObject): string[] {
  const key = kindKey(group, obj.kind!);
  defaulters[key]?.(obj);
  if (old) defaulters[key]?.(old);
  return validators[key](obj, old).map(formatFieldError);
}

const meta = (name: string) => ({ name, namespace: 'default' });
const deployment = (over: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'),
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    ...over,
  },
});

test('Deployment: replicas, selector and template labels', () => {
  assert.deepEqual(check('apps', deployment()), []);
  assert.deepEqual(check('apps', deployment({ replicas: -1 })), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  const d = deployment();
  (d.spec as any).template.metadata.labels = { app: 'x' };
  assert.deepEqual(check('apps', d), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`']);
  const noSel = deployment();
  delete (noSel.spec as any).selector;
  assert.deepEqual(check('apps', noSel), ['spec.selector: Required value']);
});

test('Deployment: selector is immutable, strategy checked', () => {
  const old = deployment();
  const d = deployment();
  (d.spec as any).selector = { matchLabels: { app: 'web', tier: 'x' } };
  (d.spec as any).template.metadata.labels.tier = 'x';
  assert.deepEqual(check('apps', d, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  assert.deepEqual(check('apps', deployment({ strategy: { type: 'Recreate', rollingUpdate: {} } })), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  assert.deepEqual(check('apps', deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } })), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
  ]);
});

test('Pod: containers, names, images, ports, policies and resources', () => {
  const pod = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), spec });
  assert.deepEqual(check('', pod({})), ['spec.containers: Required value']);
  const out = check('', pod({
    restartPolicy: 'Sometimes',
    containers: [
      { name: 'Web', image: 'nginx', ports: [{ containerPort: 70000 }] },
      { name: 'side', image: '', resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } } },
      { name: 'side', image: 'busybox' },
    ],
  }));
  assert.deepEqual(out, [
    "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[1].image: Required value',
    'spec.containers[1].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m',
    'spec.containers[2].name: Duplicate value: "side"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('Pod: only images and a few fields change on update', () => {
  const old: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const img: KObject = structuredClone(old);
  (img.spec as any).containers[0].image = 'nginx:2';
  assert.deepEqual(check('', img, structuredClone(old)), []);
  const bound: KObject = structuredClone(old);
  (bound.spec as any).nodeName = 'node-1';
  assert.deepEqual(check('', bound, structuredClone(old)), []);
  const env: KObject = structuredClone(old);
  (env.spec as any).containers[0].env = [{ name: 'A', value: '1' }];
  assert.match(check('', env, structuredClone(old))[0], /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

test('Service: ports, types, node ports, cluster IPs', () => {
  const svc = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: meta('s'), spec });
  assert.deepEqual(check('', svc({ selector: { app: 'x' } })), ['spec.ports: Required value']);
  assert.deepEqual(check('', svc({ clusterIP: 'None', selector: { app: 'x' } })), []);
  assert.deepEqual(check('', svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 99999 }] })), [
    'spec.ports[0].nodePort: Invalid value: 99999: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
  assert.deepEqual(check('', svc({ type: 'Balanced', ports: [{ port: 80 }] })), [
    'spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(check('', svc({ ports: [{ port: 80, nodePort: 30001 }] })), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  assert.deepEqual(check('', svc({ clusterIP: '10.96.0.300', ports: [{ port: 80 }] })), [
    'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  assert.deepEqual(check('', svc({ ports: [{ port: 80 }, { name: 'b', port: 0 }] })), [
    'spec.ports[0].name: Required value',
    'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(check('', svc({ type: 'ExternalName', externalName: 'Bad_Host' })).length, 1);
  const old = svc({ clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
  assert.deepEqual(check('', svc({ clusterIP: '10.96.0.6', ports: [{ port: 80 }] }), old), [
    'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.6"}: may not change once set',
  ]);
});

test('Ingress: paths, path types, backends and hosts', () => {
  const ing = (paths: unknown[], host = 'example.com'): KObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('i'), spec: { rules: [{ host, http: { paths } }] },
  });
  const backend = { service: { name: 'web', port: { number: 80 } } };
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '^/api/.*', pathType: 'Prefix', backend }])), [
    'spec.rules[0].http.paths[0].path: Invalid value: "^/api/.*": must be an absolute path',
  ]);
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '/', backend }])), ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '/', pathType: 'Regex', backend }])), [
    'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
  ]);
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '/a//b', pathType: 'Exact', backend: {} }])), [
    "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'",
    'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required',
  ]);
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '/', pathType: 'Prefix', backend }], '*.example.com')), []);
  assert.equal(check('networking.k8s.io', ing([{ path: '/', pathType: 'Prefix', backend }], 'a.*.com')).length, 1);
  assert.deepEqual(check('networking.k8s.io', ing([{ path: '/', pathType: 'Prefix', backend }], '10.0.0.1')), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
  ]);
});

test('HorizontalPodAutoscaler: replicas bounds and target', () => {
  const hpa = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('h'), spec });
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
  assert.deepEqual(check('autoscaling', hpa({ scaleTargetRef: ref, minReplicas: 3, maxReplicas: 2 })), [
    'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
  ]);
  assert.deepEqual(check('autoscaling', hpa({ scaleTargetRef: { kind: 'Deployment' }, minReplicas: 0, maxReplicas: 2 })), [
    'spec.minReplicas: Invalid value: 0: must be greater than 0',
    'spec.scaleTargetRef.name: Required value',
  ]);
});

test('Secret and ConfigMap: keys and type requirements', () => {
  const secret: KObject = { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } };
  assert.deepEqual(check('', secret), ['data[tls.key]: Required value']);
  const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: { 'a b': 'x' } };
  assert.deepEqual(check('', cm), [
    "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
});

test('Istio kinds accept any object spec', () => {
  const vs = (spec: unknown): KObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta('v'), spec });
  assert.deepEqual(check('networking.istio.io', vs({ anything: [1, 2] })), []);
  assert.deepEqual(check('networking.istio.io', vs('text')), ['spec: Invalid value: "string": spec in body must be of type object: "string"']);
});
