import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLine, withFields, type LogLevel } from '../../src/log.js';

test('a JSON line holds time, level, message and fields', () => {
  const line = JSON.parse(logLine('warning', 'm', { node: 'n1' })) as Record<string, unknown>;
  assert.deepEqual({ ...line, time: undefined }, { time: undefined, level: 'warning', msg: 'm', node: 'n1' });
  assert.ok(!Number.isNaN(Date.parse(line.time as string)));
});

test('withFields adds its fields to every line; a line\'s own fields win', () => {
  const lines: [LogLevel, string, Record<string, unknown> | undefined][] = [];
  const log = withFields((level, msg, fields) => lines.push([level, msg, fields]), { node: 'n1', component: 'proxy' });
  log('error', 'sync failed', { component: 'netpol', error: 'x' });
  log('info', 'started');
  assert.deepEqual(lines, [
    ['error', 'sync failed', { node: 'n1', component: 'netpol', error: 'x' }],
    ['info', 'started', { node: 'n1', component: 'proxy' }],
  ]);
});
