import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorefileError, dnsConfigOf, parseCorefile } from '../../../../src/addons/dns/corefile.js';
import { COREFILE } from '../../../../src/controllers/addons/coredns.js';

test('the add-on Corefile: port 53, cluster.local, TTL 5, pods insecure, forward to resolv.conf, health, ready, metrics', () => {
  const cfg = dnsConfigOf(parseCorefile(COREFILE));
  assert.deepEqual(cfg, {
    port: 53,
    zone: 'cluster.local',
    ttl: 5,
    podMode: 'insecure',
    forward: ['/etc/resolv.conf'],
    health: { host: '0.0.0.0', port: 8080 },
    ready: { host: '0.0.0.0', port: 8181 },
    prometheus: { host: '0.0.0.0', port: 9153 },
  });
});

test('server blocks, nested blocks, comments and quoted words', () => {
  const blocks = parseCorefile('# top\nexample.org:1053 {\n  file "/a b/db" # zone file\n}\n.:53 {\n  kubernetes k8s.test {\n    ttl 30\n    pods verified\n  }\n  forward . 192.0.2.1 192.0.2.2:5353\n  health :9090\n  ready 127.0.0.1:9191\n}\n');
  assert.deepEqual(blocks[0], { keys: ['example.org:1053'], directives: [{ name: 'file', args: ['/a b/db'], block: [] }] });
  assert.deepEqual(dnsConfigOf(blocks), {
    port: 53,
    zone: 'k8s.test',
    ttl: 30,
    podMode: 'verified',
    forward: ['192.0.2.1', '192.0.2.2:5353'],
    health: { host: '0.0.0.0', port: 9090 },
    ready: { host: '127.0.0.1', port: 9191 },
  });
});

test('without the plugins: pods disabled (the plugin default), no forward, no health or ready', () => {
  assert.deepEqual(dnsConfigOf(parseCorefile('.:5300 {\n  kubernetes\n}\n')), {
    port: 5300,
    zone: 'cluster.local',
    ttl: 5,
    podMode: 'disabled',
    forward: [],
  });
});

test('errors name what is wrong', () => {
  assert.throws(() => parseCorefile('.:53 {\n  errors\n'), (e: Error) => e instanceof CorefileError && /line 1: unexpected end of file, expected '}'/.test(e.message));
  assert.throws(() => parseCorefile('.:53 }'), /unexpected '}'/);
  assert.throws(() => dnsConfigOf(parseCorefile('.:53 {\n kubernetes cluster.local {\n  pods sometimes\n }\n}')), /wrong value for pods: sometimes/);
  assert.throws(() => dnsConfigOf(parseCorefile('.:53 {\n kubernetes cluster.local {\n  ttl 4000\n }\n}')), /ttl must be in range \[0, 3600\]: 4000/);
  assert.throws(() => dnsConfigOf([]), /no server block/);
});
