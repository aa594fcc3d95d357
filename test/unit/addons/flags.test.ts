import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoFlags } from '../../../src/addons/flags.js';

const VALUE = new Set(['conf', 'v']);

test('single- and double-dash flags, inline or next-argument values, as Go\'s flag package', () => {
  assert.deepEqual(parseGoFlags(['-conf', 'a', '--conf=b', '-conf=c', '--conf', 'd', '-v', '2', '--on'], VALUE), [
    { kind: 'flag', name: 'conf', value: 'a' },
    { kind: 'flag', name: 'conf', value: 'b' },
    { kind: 'flag', name: 'conf', value: 'c' },
    { kind: 'flag', name: 'conf', value: 'd' },
    { kind: 'flag', name: 'v', value: '2' },
    { kind: 'flag', name: 'on' },
  ]);
});

test('a value flag\'s value is taken as it is, even with dashes', () => {
  assert.deepEqual(parseGoFlags(['-conf', '-x', '--conf', '--y'], VALUE), [
    { kind: 'flag', name: 'conf', value: '-x' },
    { kind: 'flag', name: 'conf', value: '--y' },
  ]);
});

test('a value flag given last has no value; positionals keep their place; -- ends the flags', () => {
  assert.deepEqual(parseGoFlags(['prog', '-conf'], VALUE), [{ kind: 'positional', value: 'prog' }, { kind: 'flag', name: 'conf' }]);
  assert.deepEqual(parseGoFlags(['--', '-conf'], VALUE), [{ kind: 'positional', value: '-conf' }]);
});
