import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../../../../src/api/kinds.js';
import { generateDocuments, type GeneratedDocument } from '../../../../../src/api/openapi/gen/documents.js';
import { NODE_MODULES } from '../helpers.js';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any> };
}

const generated = generateDocuments({ kinds: KINDS, nodeModules: NODE_MODULES });
const byPath = new Map<string, GeneratedDocument>(generated.map((d) => [d.gvPath, d]));
const parse = (gv: string): Doc => {
  const d = byPath.get(gv);
  assert.ok(d, `document ${gv} generated`);
  return JSON.parse(d.body.toString('utf8')) as Doc;
};

test('one document per served group-version', () => {
  assert.deepEqual([...byPath.keys()].sort(), [
    'api/v1', 'apis/apiregistration.k8s.io/v1', 'apis/apps/v1', 'apis/autoscaling/v1', 'apis/autoscaling/v2', 'apis/autoscaling/v2beta2',
    'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1',
    'apis/networking.istio.io/v1', 'apis/networking.istio.io/v1alpha3', 'apis/networking.istio.io/v1beta1',
    'apis/networking.k8s.io/v1',
  ]);
  for (const d of generated) assert.match(d.hash, /^[0-9A-F]{128}$/);
});

test('apps/v1 has Deployment with its GVK, descriptions and merge semantics', () => {
  const doc = parse('apis/apps/v1');
  assert.equal(doc.openapi, '3.0.0');
  const dep = doc.components.schemas['io.k8s.api.apps.v1.Deployment'];
  assert.deepEqual(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.equal(dep.type, 'object');
  assert.match(dep.description, /declarative updates for Pods/);
  assert.deepEqual(dep.properties.spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
  const spec = doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'];
  assert.deepEqual(spec.required, ['selector', 'template']);
  assert.equal(spec.properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  const podSpec = doc.components.schemas['io.k8s.api.core.v1.PodSpec'];
  assert.equal(podSpec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(podSpec.properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  const container = doc.components.schemas['io.k8s.api.core.v1.Container'];
  assert.deepEqual(container.properties.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(container.properties.env['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(container.properties.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
  const meta = doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'];
  assert.equal(meta.properties.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(meta.properties.finalizers['x-kubernetes-list-type'], 'set');
  const intOrString = doc.components.schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
  assert.equal(intOrString.format, 'int-or-string');
  assert.deepEqual(intOrString.oneOf, [{ type: 'integer' }, { type: 'string' }]);
  const port = doc.components.schemas['io.k8s.api.core.v1.ContainerPort'];
  assert.deepEqual(port.properties.containerPort, { description: port.properties.containerPort.description, type: 'integer', format: 'int32' });
  assert.deepEqual(port.properties.protocol.enum, ['SCTP', 'TCP', 'UDP']);
});

test('every PATCH operation declares fieldValidation and the GVK it patches', () => {
  for (const gv of byPath.keys()) {
    const doc = parse(gv);
    let patches = 0;
    for (const [p, item] of Object.entries(doc.paths)) {
      if (!item.patch) continue;
      patches++;
      const op = item.patch;
      assert.equal(op['x-kubernetes-action'], 'patch', p);
      assert.ok(op['x-kubernetes-group-version-kind']?.kind, `${p} has a GVK`);
      assert.ok(op.parameters.some((x: any) => x.name === 'fieldValidation' && x.in === 'query'), `${p} has fieldValidation`);
    }
    assert.ok(patches > 0, `${gv} has PATCH operations`);
  }
  const apps = parse('apis/apps/v1');
  const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.deepEqual(Object.keys(item).filter((k) => k !== 'parameters').sort(), ['delete', 'get', 'patch', 'put']);
  assert.deepEqual(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'],
    { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  const core = parse('api/v1');
  assert.ok(core.paths['/api/v1/namespaces/{name}'].patch, 'cluster-scoped item path');
  assert.ok(core.paths['/api/v1/pods'].get, 'list across namespaces');
});

test('PATCH lists strategic merge for built-in kinds only, as a CRD does for Istio kinds', () => {
  const patchTypes = (gv: string, path: string) => Object.keys(parse(gv).paths[path]!.patch.requestBody.content);
  assert.deepEqual(patchTypes('apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}'), [
    'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  ]);
  for (const v of ['v1', 'v1beta1', 'v1alpha3']) {
    assert.deepEqual(patchTypes(`apis/networking.istio.io/${v}`, `/apis/networking.istio.io/${v}/namespaces/{namespace}/virtualservices/{name}`), [
      'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json',
    ]);
  }
});

test('autoscaling/v2beta2 uses its own names and GVK', () => {
  const doc = parse('apis/autoscaling/v2beta2');
  const hpa = doc.components.schemas['io.k8s.api.autoscaling.v2beta2.HorizontalPodAutoscaler'];
  assert.deepEqual(hpa['x-kubernetes-group-version-kind'], [{ group: 'autoscaling', kind: 'HorizontalPodAutoscaler', version: 'v2beta2' }]);
  assert.ok(doc.components.schemas['io.k8s.api.autoscaling.v2beta2.HorizontalPodAutoscalerStatus'].properties.conditions['x-kubernetes-patch-merge-key']);
});

test('Istio kinds are published as CRDs with descriptions, in all three versions', () => {
  for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
    const doc = parse(`apis/networking.istio.io/${version}`);
    for (const kind of ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry']) {
      const s = doc.components.schemas[`io.istio.networking.${version}.${kind}`];
      assert.ok(s, `${version} ${kind}`);
      assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'networking.istio.io', kind, version }]);
      assert.equal(s.properties.status['x-kubernetes-preserve-unknown-fields'], true);
      assert.ok(s.properties.spec.description, `${kind}.spec has a description`);
    }
    const vs = doc.components.schemas[`io.istio.networking.${version}.VirtualService`];
    assert.equal(vs.properties.spec.properties.hosts.description, 'The destination hosts to which traffic is being sent.');
    assert.ok(vs.properties.spec.properties.http.items.properties.route.items.properties.destination.properties.host.description);
  }
});

test('documents reference only schemas they contain', () => {
  for (const gv of byPath.keys()) {
    const doc = parse(gv);
    const text = byPath.get(gv)!.body.toString('utf8');
    for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[m[1]], `${gv}: ${m[1]} is defined`);
    }
  }
});
