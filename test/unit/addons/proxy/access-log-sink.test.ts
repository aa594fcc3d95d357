import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessLogSink } from '../../../../src/addons/proxy/access-log-sink.js';

test('lines written close together leave in one write, in order, once the timer fires', async () => {
  const writes: string[] = [];
  let wrote!: () => void;
  const first = new Promise<void>((r) => (wrote = r));
  const sink = new AccessLogSink((chunk) => {
    writes.push(chunk.toString('latin1'));
    wrote();
  }, 5);
  sink.write('a\n');
  sink.write('b\n');
  sink.write('c\n');
  assert.deepEqual(writes, [], 'nothing is written per line');
  await first;
  assert.deepEqual(writes, ['a\nb\nc\n']);
  sink.flush();
  assert.deepEqual(writes, ['a\nb\nc\n'], 'an empty buffer writes nothing');
});

test('a full buffer is written at once, without waiting for the timer', () => {
  const writes: string[] = [];
  const sink = new AccessLogSink((chunk) => writes.push(chunk.toString('latin1')), 3_600_000);
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 64; i++) sink.write(line);
  assert.equal(writes.length, 1);
  assert.equal(writes[0], line.repeat(64));
  sink.write('tail\n');
  sink.flush();
  assert.deepEqual(writes.slice(1), ['tail\n'], 'flush writes what is left and stops the timer');
});

test('a line leaves with the bytes its latin1 text stands for (a request head read as latin1 is logged as the client sent it)', () => {
  const writes: Buffer[] = [];
  const sink = new AccessLogSink((chunk) => writes.push(chunk), 3_600_000);
  const path = Buffer.from('/caf\u00e9', 'utf8').toString('latin1');
  sink.write(`GET ${path}\n`);
  sink.flush();
  assert.deepEqual(writes, [Buffer.from('GET /caf\u00e9\n', 'utf8')]);
});

test('a line longer than the buffer is written on its own, after what was buffered', () => {
  const writes: string[] = [];
  const sink = new AccessLogSink((chunk) => writes.push(chunk.toString('latin1')), 3_600_000);
  const long = `${'y'.repeat(70 * 1024)}\n`;
  sink.write('first\n');
  sink.write(long);
  sink.write('after\n');
  sink.flush();
  assert.deepEqual(writes, ['first\n', long, 'after\n']);
});
