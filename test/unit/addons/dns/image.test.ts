import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, resolveImage } from '../../../../src/images/index.js';
import { parseCoreDNSArgs } from '../../../../src/addons/dns/main.js';
import { deployment } from '../../../../src/controllers/addons/coredns.js';

test('registry.k8s.io/coredns/coredns runs the cluster DNS program with the Deployment\'s args only', () => {
  const r = resolveImage('registry.k8s.io/coredns/coredns:v1.11.3', { home: '/h', clusterDir: '/h/clusters/c1' });
  assert.ok(r.ok);
  assert.deepEqual(r.image.entrypoint, ['/coredns']);
  const argv = containerArgv(r.image, undefined, ['-conf', '/etc/coredns/Corefile']);
  const script = argv.findIndex((a) => a.endsWith('.js'));
  assert.match(argv[script]!, /addons\/dns\/main\.js$/);
  assert.deepEqual(argv.slice(script + 1), ['-conf', '/etc/coredns/Corefile'], 'nothing of the host (no cluster dir) is passed');
  assert.deepEqual(parseCoreDNSArgs(argv.slice(script + 1)), { conf: '/etc/coredns/Corefile', egress: 'none' });
});

test('the add-on\'s args give the program the hosts file and the egress setting', () => {
  const c = (deployment({ egress: '10.0.0.0/8' }).spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!;
  assert.deepEqual(parseCoreDNSArgs(c.args), { conf: '/etc/coredns/Corefile', hostsFile: '/etc/skiff/hosts', egress: '10.0.0.0/8' });
});

test('coredns flags as Go parses them', () => {
  assert.deepEqual(parseCoreDNSArgs(['-conf=/x']), { conf: '/x', egress: 'none' });
  assert.deepEqual(parseCoreDNSArgs([]), { conf: 'Corefile', egress: 'none' });
  assert.deepEqual(parseCoreDNSArgs(['--skiff-egress', 'all', '-skiff-hosts=/h']), { conf: 'Corefile', egress: 'all', hostsFile: '/h' });
  assert.throws(() => parseCoreDNSArgs(['-dns.port', '53']), /flag provided but not defined: -dns.port/);
  assert.throws(() => parseCoreDNSArgs(['-conf']), /flag needs an argument: -conf/);
  assert.throws(() => parseCoreDNSArgs(['--skiff-cluster-dir=/d']), /flag provided but not defined: -skiff-cluster-dir/);
});
