import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/api/registry.js';
import type { Resource } from '../../../src/client/client.js';
import * as resources from '../../../src/client/resources.js';

const typed = Object.entries(resources).filter((e): e is [string, Resource] => typeof e[1] === 'object');

test('every typed resource is a kind the API server serves, at its preferred version', () => {
  const registry = new Registry();
  assert.ok(typed.length > 0);
  for (const [name, res] of typed) {
    const def = registry.resource(res.group, res.version, res.plural);
    assert.ok(def, `${name}: ${res.group}/${res.version}/${res.plural} is not served`);
    assert.equal(res.kind, def.kind, name);
    assert.equal(res.namespaced, def.namespaced, name);
    assert.equal(res.version, def.versions[0], name);
  }
});

test('the table names resources as discovery does', () => {
  assert.deepEqual(resources.PODS, { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true });
  assert.deepEqual(resources.NODES, { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false });
  assert.deepEqual(resources.ENDPOINTS, { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true });
  assert.deepEqual(resources.HORIZONTALPODAUTOSCALERS, {
    group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true,
  });
  assert.deepEqual(resources.INGRESSCLASSES, { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false });
});
