import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreDNSLogger, klogLogger } from '../../../src/addons/log.js';

function capture(run: () => void): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  const write = (which: 'stdout' | 'stderr') => (chunk: string | Uint8Array) => ((out[which] += String(chunk)), true);
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = write('stdout') as typeof process.stdout.write;
  process.stderr.write = write('stderr') as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
  return out;
}

test('CoreDNS lines: [LEVEL] after the plugin prefix, fields after the message; errors on stderr', () => {
  const out = capture(() => {
    coreDNSLogger('plugin/kubernetes: ')('error', 'informer: watch error', { resource: 'services', error: 'connection reset' });
    coreDNSLogger()('info', 'plugin/forward: no upstream');
  });
  assert.equal(out.stderr, '[ERROR] plugin/kubernetes: informer: watch error resource=services error="connection reset"\n');
  assert.equal(out.stdout, '[INFO] plugin/forward: no upstream\n');
});

test('klog lines: level letter, date, time, pid and the message', () => {
  const out = capture(() => klogLogger('warning', 'Error getting SSL certificate', { attempt: 2 }));
  assert.match(out.stderr, new RegExp(`^W\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{6} +${process.pid} controller\\] Error getting SSL certificate attempt=2\\n$`));
  assert.equal(out.stdout, '');
});
