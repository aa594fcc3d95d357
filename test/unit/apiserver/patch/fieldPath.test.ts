import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, type Path } from '../../../../src/apiserver/patch/fieldPath.js';

// Field sets share members between operations, answer unchanged results as themselves and
// remember their decoding and encoding: the results must be what plain set algebra gives.

const p = (s: string): Path => s.split('/');
const keys = (set: FieldSet) => set.all().map((x) => x.join('/')).sort();

test('set operations give plain set algebra, and an operation that changes nothing gives the set itself', () => {
  const a = new FieldSet([p('f:spec/f:replicas'), p('f:spec/f:template'), p('f:metadata/f:labels/f:app')]);
  const b = new FieldSet([p('f:spec/f:replicas'), p('f:status/f:replicas')]);
  assert.deepEqual(keys(a.union(b)), ['f:metadata/f:labels/f:app', 'f:spec/f:replicas', 'f:spec/f:template', 'f:status/f:replicas']);
  assert.deepEqual(keys(a.difference(b)), ['f:metadata/f:labels/f:app', 'f:spec/f:template']);
  assert.deepEqual(keys(a.intersection(b)), ['f:spec/f:replicas']);
  assert.deepEqual(keys(a.filter((x) => x[0] === 'f:spec')), ['f:spec/f:replicas', 'f:spec/f:template']);
  const none = new FieldSet();
  assert.equal(a.union(none), a);
  assert.equal(a.difference(none), a);
  assert.equal(a.union(new FieldSet([p('f:spec/f:replicas')])), a);
  assert.equal(a.filter(() => true), a);
  // The operands are in use now: adding to one would change the results that share it.
  assert.throws(() => a.add(p('f:spec/f:paused')), /already in use/);
  const fresh = new FieldSet([p('f:a')]);
  fresh.add(p('f:b'));
  assert.equal(fresh.size, 2);
});

test('a FieldsV1 decoded twice is one set, and its encoding is the canonical spelling, frozen', () => {
  const fieldsV1 = { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {} }, 'k:{"name":"a"}': { '.': {}, 'f:name': {} } } }, 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } };
  const one = FieldSet.fromFieldsV1(fieldsV1);
  const two = FieldSet.fromFieldsV1(JSON.parse(JSON.stringify(fieldsV1)));
  assert.equal(two, one);
  const encoded = one.toFieldsV1();
  assert.equal(JSON.stringify(encoded), JSON.stringify({ 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:name': {} }, 'k:{"name":"b"}': { '.': {}, 'f:image': {} } } } }));
  assert.equal(one.toFieldsV1(), encoded);
  assert.ok(Object.isFrozen(encoded) && Object.isFrozen(encoded['f:spec']));
  // A set built from the same paths encodes the same.
  assert.deepEqual(new FieldSet(one.all()).toFieldsV1(), encoded);
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }), /unexpected key/);
});
