import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, patchTypeOf, PatchError } from '../../../../src/apiserver/patch/index.js';
import { deployment, DEPLOY } from './fixtures.js';

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PatchError, `expected a PatchError, got ${e}`);
    return e;
  }
  assert.fail('expected the patch to fail');
}

test('patchTypeOf maps the four PATCH media types and ignores parameters', () => {
  assert.equal(patchTypeOf('application/json-patch+json'), 'json');
  assert.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchTypeOf('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchTypeOf('application/apply-patch+yaml'), 'apply');
  assert.equal(patchTypeOf('application/apply-patch+cbor'), undefined);
  assert.equal(patchTypeOf('application/json'), undefined);
});

test('rollout undo: replaces the template and annotations without touching the live object', () => {
  const live = deployment();
  const template = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.24', resources: {} }] } };
  const out = applyPatch('json', live, [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
  ], DEPLOY) as any;
  assert.deepEqual(out.spec.template, template);
  assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.25');
});

test('all RFC 6902 operations, with negative indices as json-patch v4 allows', () => {
  const out = applyPatch('json', { a: [1, 2, 3], b: { c: 1 } }, [
    { op: 'add', path: '/a/-', value: 4 },
    { op: 'add', path: '/a/0', value: 0 },
    { op: 'remove', path: '/a/-1' },
    { op: 'replace', path: '/a/1', value: 10 },
    { op: 'move', from: '/b/c', path: '/d' },
    { op: 'copy', from: '/a', path: '/e' },
    { op: 'test', path: '/d', value: 1 },
    { op: 'add', path: '/b~1x', value: 'slash' },
  ], DEPLOY);
  assert.deepEqual(out, { a: [0, 10, 2, 3], b: {}, d: 1, e: [0, 10, 2, 3], 'b/x': 'slash' });
});

test('replace of a missing object member succeeds, as in json-patch v4', () => {
  assert.deepEqual(applyPatch('json', { a: {} }, [{ op: 'replace', path: '/a/b', value: 1 }], DEPLOY), { a: { b: 1 } });
});

test('the csaupgrade patch rewrites managedFields and resourceVersion', () => {
  const live = deployment();
  live.metadata.managedFields = [{ manager: 'kubectl-client-side-apply', operation: 'Update' }];
  const fields = [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
  const out = applyPatch('json', live, [
    { op: 'replace', path: '/metadata/managedFields', value: fields },
    { op: 'replace', path: '/metadata/resourceVersion', value: '5' },
  ], DEPLOY) as any;
  assert.deepEqual(out.metadata.managedFields, fields);
});

test('failed operations answer 422 with json-patch v4 messages as the cause', () => {
  const cases: [unknown[], string][] = [
    [[{ op: 'test', path: '/spec/replicas', value: 3 }], 'testing value /spec/replicas failed: test failed'],
    [[{ op: 'remove', path: '/metadata/labels/missing' }], "error in remove for path: '/metadata/labels/missing': Unable to remove nonexistent key: missing: missing value"],
    [[{ op: 'add', path: '/nope/x', value: 1 }], 'add operation does not apply: doc is missing path: "/nope/x": missing value'],
    [[{ op: 'replace', path: '/nope/x', value: 1 }], 'replace operation does not apply: doc is missing path: /nope/x: missing value'],
    [[{ op: 'replace', path: '/spec/template/spec/containers/5', value: {} }], 'replace operation does not apply: doc is missing key: /spec/template/spec/containers/5: missing value'],
    [[{ op: 'add', path: '/spec/template/spec/containers/9', value: {} }], "error in add for path: '/spec/template/spec/containers/9': Unable to access invalid index: 9: invalid index referenced"],
    [[{ op: 'move', from: '/x/y', path: '/z' }], 'move operation does not apply: doc is missing from path: /x/y: missing value'],
    [[{ op: 'frob', path: '/a' }], 'Unexpected kind: frob'],
  ];
  for (const [patch, message] of cases) {
    const e = failure(() => applyPatch('json', deployment(), patch, DEPLOY));
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'the server rejected our request due to an error in our request');
    assert.deepEqual(e.causes, [{ type: 'UnexpectedServerResponse', message }]);
  }
});

test('a test of null matches a missing member', () => {
  assert.deepEqual(applyPatch('json', { a: 1 }, [{ op: 'test', path: '/b', value: null }], DEPLOY), { a: 1 });
});

test('a body that is not a list of operations is a 400', () => {
  const e = failure(() => applyPatch('json', deployment(), { op: 'add' }, DEPLOY));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
});
