import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerArgv, resolveImage } from '../../../src/images/index.js';
import { hostRoot, parseCoreDNSArgs } from '../../../src/addons/dns/main.js';

test('registry.k8s.io/coredns/coredns runs the cluster DNS program with the cluster dir and upstream args', () => {
  const r = resolveImage('registry.k8s.io/coredns/coredns:v1.11.3', { home: '/h', clusterDir: '/h/clusters/c1' });
  assert.ok(r.ok);
  assert.deepEqual(r.image.entrypoint, ['/coredns']);
  const argv = containerArgv(r.image, undefined, ['-conf', '/etc/coredns/Corefile']);
  assert.equal(argv[0], process.execPath);
  assert.match(argv.find((a) => a.endsWith('.js'))!, /addons\/dns\/main\.js$/);
  assert.deepEqual(argv.slice(-3), ['--skiff-cluster-dir=/h/clusters/c1', '-conf', '/etc/coredns/Corefile']);
  assert.deepEqual(parseCoreDNSArgs(argv.slice(argv.findIndex((a) => a.endsWith('.js')) + 1)), { conf: '/etc/coredns/Corefile', clusterDir: '/h/clusters/c1' });
});

test('coredns flags as Go parses them', () => {
  assert.deepEqual(parseCoreDNSArgs(['--skiff-cluster-dir', '/d', '-conf=/x']), { conf: '/x', clusterDir: '/d' });
  assert.deepEqual(parseCoreDNSArgs(['--skiff-cluster-dir=/d']), { conf: 'Corefile', clusterDir: '/d' });
  assert.throws(() => parseCoreDNSArgs(['--skiff-cluster-dir=/d', '-dns.port', '53']), /flag provided but not defined: -dns.port/);
  assert.throws(() => parseCoreDNSArgs(['--skiff-cluster-dir=/d', '-conf']), /flag needs an argument: -conf/);
  assert.throws(() => parseCoreDNSArgs(['-conf', 'x']), /--skiff-cluster-dir is required/);
});

test('the host root is the first candidate that shows the cluster dir', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dnsroot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'b', 'clusters', 'c'), { recursive: true });
  assert.equal(hostRoot('/clusters/c', [join(dir, 'a'), join(dir, 'b')]), join(dir, 'b'));
  assert.equal(hostRoot('/clusters/none', [join(dir, 'a')]), '');
});
