import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, matchesRequirements, parseFieldSelector, parseLabelSelector } from '../../../src/api/selectors.js';

test('label selector syntax as kubectl sends it', () => {
  const r = parseLabelSelector('app=web,tier!=db,env in (a, b),track notin (x),ready,!legacy');
  assert.equal(r.length, 6);
  assert.ok(matchesRequirements(r, { app: 'web', env: 'a', ready: '' }));
  assert.ok(!matchesRequirements(r, { app: 'web', env: 'a' }));
  assert.ok(!matchesRequirements(r, { app: 'web', env: 'c', ready: '' }));
  assert.ok(!matchesRequirements(r, { app: 'web', env: 'a', ready: '', legacy: '1' }));
  assert.ok(!matchesRequirements(r, { app: 'web', env: 'a', ready: '', tier: 'db' }));
  assert.throws(() => parseLabelSelector('a in (b'));
});

test('field selectors and selector formatting', () => {
  assert.deepEqual(parseFieldSelector('metadata.name=x,involvedObject.kind!=Pod'), [
    { field: 'metadata.name', op: '=', value: 'x' },
    { field: 'involvedObject.kind', op: '!=', value: 'Pod' },
  ]);
  assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] }), 'a=1,b=2,c');
});
