import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requiredFlags } from '../../../src/node/args.js';
import { parseClusterArgs } from '../../../src/node/network/host-ports/args.js';

test('required --flag value pairs, in either form; others are ignored', () => {
  assert.deepEqual(requiredFlags(['--a', '1', '--x', '--b=2', 'extra'], ['a', 'b'], 'prog'), { a: '1', b: '2' });
  assert.deepEqual(parseClusterArgs(['--cluster', 'c', '--home', '/h'], 'publisher'), { cluster: 'c', home: '/h' });
});

test('a missing or empty flag names the program and the flag', () => {
  assert.throws(() => requiredFlags(['--a', '1'], ['a', 'b'], 'prog'), /^Error: prog: missing --b$/);
  assert.throws(() => requiredFlags(['--a='], ['a'], 'prog'), /prog: missing --a/);
  assert.throws(() => parseClusterArgs(['--cluster', 'c', '--home'], 'publisher'), /publisher: missing --home/);
});
