import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointChainBase, servicePortChainBase } from '../../../../src/node/proxy/chain-names.js';
import {
  buildProxyState,
  fullSyncScript,
  incrementalSyncScript,
  staleUDPEntries,
  updateProxyState,
  type EndpointSliceJSON,
  type NodeFacts,
  type ServiceJSON,
} from '../../../../src/node/proxy/rules.js';
import { conntrackArgs, NftError, runNft } from '../../../../src/node/proxy/apply.js';

const node: NodeFacts = { nodeName: 'node-1', nodeIPs: ['172.18.0.2'], clusterCIDR: '10.244.0.0/16' };

function service(name: string, spec: ServiceJSON['spec']): ServiceJSON {
  return { metadata: { namespace: 'ns1', name }, spec };
}
function slice(svc: string, eps: { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean }[], port = 8080, portName = 'p80', protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP'): EndpointSliceJSON {
  return {
    metadata: { namespace: 'ns1', name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      nodeName: e.node ?? 'node-1',
    })),
    ports: [{ name: portName, protocol, port }],
  };
}
const svc1 = service('svc1', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'p80', protocol: 'TCP', port: 80 }] });

const T = 'ip skiff-proxy';
const BASE = `add table ${T}
delete table ${T}
add table ${T} { comment "rules for skiff's service proxy" ; }
add chain ${T} filter-input { type filter hook input priority -110 ; }
add chain ${T} filter-forward { type filter hook forward priority -110 ; }
add chain ${T} filter-output { type filter hook output priority -110 ; }
add chain ${T} nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ${T} nat-output { type nat hook output priority -100 ; }
add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ${T} endpoints-check
add chain ${T} services
add chain ${T} masquerading
add chain ${T} mark-for-masquerade
add chain ${T} reject-chain
add rule ${T} filter-input ct state new jump endpoints-check
add rule ${T} filter-forward ct state new jump endpoints-check
add rule ${T} filter-output ct state new jump endpoints-check
add rule ${T} nat-prerouting jump services
add rule ${T} nat-output jump services
add set ${T} hairpin-endpoints { type ipv4_addr . ipv4_addr ; comment "endpoint . itself: a pod reaching itself through a service" ; }
add rule ${T} nat-postrouting ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade
add rule ${T} nat-postrouting jump masquerading
add rule ${T} mark-for-masquerade mark set mark or 0x00004000
add rule ${T} masquerading mark and 0x00004000 == 0 return
add rule ${T} masquerading mark set mark xor 0x00004000
add rule ${T} masquerading masquerade fully-random
add rule ${T} reject-chain reject
add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
add element ${T} nodeport-ips { 172.18.0.2 }
add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add rule ${T} endpoints-check meta mark & 0x80000 == 0x80000 return
add rule ${T} endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ${T} endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add set ${T} cluster-ips { type ipv4_addr . inet_proto . inet_service ; comment "ClusterIP frontends, masqueraded for clients outside the pod network" ; }
add rule ${T} services ip saddr != 10.244.0.0/16 ip daddr . meta l4proto . th dport @cluster-ips jump mark-for-masquerade
add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ${T} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
`;

test('chain names hash like upstream kube-proxy (ULMVA6XW-ns1/svc1/tcp/p80)', () => {
  const p = { namespace: 'ns1', name: 'svc1', protocol: 'tcp', port: 'p80' };
  assert.equal(servicePortChainBase(p), 'ULMVA6XW-ns1/svc1/tcp/p80');
  assert.equal(endpointChainBase(p, '10.180.0.1:80'), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
});

test('full sync of one ClusterIP service with one endpoint: a slot in the shared map, no chain of its own (golden)', () => {
  const script = fullSyncScript(buildProxyState([svc1], [slice('svc1', [{ ip: '10.244.0.5' }])], node));
  assert.equal(
    script,
    BASE +
      `add map ${T} endpoint-slots-1 { typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport ; comment "endpoints by slot, for ClusterIPs with 1" ; }
add chain ${T} endpoints-1
add rule ${T} endpoints-1 meta l4proto tcp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 1 map @endpoint-slots-1
add rule ${T} endpoints-1 meta l4proto udp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 1 map @endpoint-slots-1
add rule ${T} endpoints-1 meta l4proto sctp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 1 map @endpoint-slots-1
add element ${T} service-ips { 10.96.0.10 . tcp . 80 : goto endpoints-1 }
add element ${T} endpoint-slots-1 { 10.96.0.10 . tcp . 80 . 0 : 10.244.0.5 . 8080 }
add element ${T} cluster-ips { 10.96.0.10 . tcp . 80 }
add element ${T} hairpin-endpoints { 10.244.0.5 . 10.244.0.5 }
`,
  );
});

test('a NodePort service keeps chains of its own, with a DNAT rule per endpoint', () => {
  const np = service('np', { type: 'NodePort', clusterIP: '10.96.0.12', ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 30100 }] });
  const r = buildProxyState([np], [slice('np', [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }])], node).ports.get('ns1/np/tcp/p80')!;
  const S = `service-${servicePortChainBase({ namespace: 'ns1', name: 'np', protocol: 'tcp', port: 'p80' })}`;
  assert.equal(r.slots, undefined);
  assert.deepEqual(r.chains.get(S), ['numgen random mod 2 == 0 meta l4proto tcp dnat to 10.244.0.5:8080', 'meta l4proto tcp dnat to 10.244.0.6:8080']);
});

test('a service without endpoints is rejected; UDP keys use udp; headless and ExternalName are skipped', () => {
  const script = fullSyncScript(
    buildProxyState(
      [
        service('dns', { clusterIP: '10.96.0.11', ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }),
        service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
      ],
      [],
      node,
    ),
  );
  assert.equal(script.slice(BASE.length), `add element ${T} no-endpoint-services { 10.96.0.11 . udp . 53 : goto reject-chain }\n`);
});

test('NodePort, random choice over ready endpoints, and session affinity sets with the timeout', () => {
  const svc = service('web', {
    type: 'NodePort',
    clusterIP: '10.96.0.50',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 30080 }],
  });
  const script = fullSyncScript(
    buildProxyState([svc], [slice('web', [{ ip: '10.244.0.2' }, { ip: '10.244.1.3', node: 'node-2' }, { ip: '10.244.0.9', ready: false }])], node),
  );
  const lines = script.slice(BASE.length).split('\n');
  const affinity = lines.filter((l) => l.startsWith(`add set ${T} affinity-`));
  assert.equal(affinity.length, 2);
  for (const l of affinity) assert.match(l, /\{ type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; \}$/);
  const S = `service-${servicePortChainBase({ namespace: 'ns1', name: 'web', protocol: 'tcp', port: 'p80' })}`;
  const choice = lines.filter((l) => l.startsWith(`add rule ${T} ${S} `) && !l.includes('@affinity-') && !l.includes('masquerade'));
  assert.equal(choice.length, 2);
  assert.match(choice[0], /numgen random mod 2 == 0 goto endpoint-\S+__10\.244\.0\.2\/8080$/);
  assert.match(choice[1], /ns1\/web\/tcp\/p80 goto endpoint-\S+__10\.244\.1\.3\/8080$/);
  assert.ok(!script.includes('10.244.0.9'), 'a not-ready endpoint gets no traffic');
  assert.ok(lines.some((l) => /^add rule .* ip saddr @affinity-\S+__10\.244\.0\.2\/8080 goto endpoint-\S+__10\.244\.0\.2\/8080$/.test(l)));
  assert.ok(lines.some((l) => /^add rule .* update @affinity-\S+ \{ ip saddr \}$/.test(l)));
  assert.ok(lines.includes(`add element ${T} service-nodeports { tcp . 30080 : goto external-${servicePortChainBase({ namespace: 'ns1', name: 'web', protocol: 'tcp', port: 'p80' })} }`));
  const ext = lines.filter((l) => l.includes(' external-') && l.startsWith('add rule'));
  assert.deepEqual(
    ext.map((l) => l.split(' ').slice(5).join(' ')),
    ['jump mark-for-masquerade', `goto service-${servicePortChainBase({ namespace: 'ns1', name: 'web', protocol: 'tcp', port: 'p80' })}`],
  );
});

test('externalTrafficPolicy Local: external traffic goes to node-local endpoints only, without masquerade', () => {
  const svc = service('loc', {
    type: 'NodePort',
    clusterIP: '10.96.0.52',
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 30081 }],
  });
  const state = buildProxyState([svc], [slice('loc', [{ ip: '10.244.0.2' }, { ip: '10.244.1.3', node: 'node-2' }])], node);
  const base = servicePortChainBase({ namespace: 'ns1', name: 'loc', protocol: 'tcp', port: 'p80' });
  const r = state.ports.get('ns1/loc/tcp/p80')!;
  assert.deepEqual(r.chains.get(`external-${base}`), [
    `ip saddr 10.244.0.0/16 goto service-${base} comment "short-circuit pod traffic"`,
    'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
    `fib saddr type local goto service-${base} comment "short-circuit local traffic"`,
    `goto local-${base}`,
  ]);
  assert.deepEqual(r.chains.get(`local-${base}`), ['meta l4proto tcp dnat to 10.244.0.2:8080']);
  // On a node with no local endpoint, external traffic is dropped (not rejected).
  const other = buildProxyState([svc], [slice('loc', [{ ip: '10.244.1.3', node: 'node-2' }])], node);
  assert.ok(other.ports.get('ns1/loc/tcp/p80')!.elements.some((e) => e.map === 'no-endpoint-nodeports' && e.value === 'drop'));
});

test('incremental sync for one changed endpoint touches only that service', () => {
  const other = service('other', { clusterIP: '10.96.0.20', ports: [{ name: 'p80', protocol: 'TCP', port: 80 }] });
  const before = buildProxyState([svc1, other], [slice('svc1', [{ ip: '10.244.0.5' }]), slice('other', [{ ip: '10.244.0.7' }])], node);
  const after = buildProxyState([svc1, other], [slice('svc1', [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }]), slice('other', [{ ip: '10.244.0.7' }])], node);
  // Only map elements change; the shared chain for two endpoints is made the first time it is needed.
  assert.equal(
    incrementalSyncScript(before, after),
    `delete element ${T} service-ips { 10.96.0.10 . tcp . 80 }
delete element ${T} endpoint-slots-1 { 10.96.0.10 . tcp . 80 . 0 }
add map ${T} endpoint-slots-2 { typeof ip daddr . meta l4proto . th dport . numgen random mod 2 : ip daddr . th dport ; comment "endpoints by slot, for ClusterIPs with 2" ; }
add chain ${T} endpoints-2
add rule ${T} endpoints-2 meta l4proto tcp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoint-slots-2
add rule ${T} endpoints-2 meta l4proto udp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoint-slots-2
add rule ${T} endpoints-2 meta l4proto sctp dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoint-slots-2
add element ${T} service-ips { 10.96.0.10 . tcp . 80 : goto endpoints-2 }
add element ${T} endpoint-slots-2 { 10.96.0.10 . tcp . 80 . 0 : 10.244.0.5 . 8080 }
add element ${T} endpoint-slots-2 { 10.96.0.10 . tcp . 80 . 1 : 10.244.0.6 . 8080 }
add element ${T} hairpin-endpoints { 10.244.0.6 . 10.244.0.6 }
`,
  );
  assert.equal(incrementalSyncScript(after, after), '', 'no change, no script');
  // Back to one endpoint: the endpoint leaves the hairpin set; with none, the service is rejected.
  assert.equal(
    incrementalSyncScript(after, before),
    `delete element ${T} service-ips { 10.96.0.10 . tcp . 80 }
delete element ${T} endpoint-slots-2 { 10.96.0.10 . tcp . 80 . 0 }
delete element ${T} endpoint-slots-2 { 10.96.0.10 . tcp . 80 . 1 }
delete element ${T} hairpin-endpoints { 10.244.0.6 . 10.244.0.6 }
add element ${T} service-ips { 10.96.0.10 . tcp . 80 : goto endpoints-1 }
add element ${T} endpoint-slots-1 { 10.96.0.10 . tcp . 80 . 0 : 10.244.0.5 . 8080 }
`,
  );
  const none = buildProxyState([svc1, other], [slice('other', [{ ip: '10.244.0.7' }])], node);
  const toNone = incrementalSyncScript(before, none).split('\n');
  assert.equal(toNone[0], `delete element ${T} service-ips { 10.96.0.10 . tcp . 80 }`);
  assert.ok(toNone.includes(`add element ${T} no-endpoint-services { 10.96.0.10 . tcp . 80 : goto reject-chain }`));
  assert.ok(toNone.includes(`delete element ${T} endpoint-slots-1 { 10.96.0.10 . tcp . 80 . 0 }`));
  assert.ok(!toNone.some((l) => l.includes('other')));
});

test('changed node addresses need a full sync', () => {
  const a = buildProxyState([svc1], [], node);
  const b = buildProxyState([svc1], [], { ...node, nodeIPs: ['172.18.0.3'] });
  assert.equal(incrementalSyncScript(a, b), fullSyncScript(b));
});

test('stale UDP conntrack entries: removed endpoints, and frontends that get their first endpoint', () => {
  const dns = service('dns', { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ name: 'dns', protocol: 'UDP', port: 53, nodePort: 30053 }] });
  const two = buildProxyState([dns], [slice('dns', [{ ip: '10.244.0.2' }, { ip: '10.244.0.3' }], 53, 'dns', 'UDP')], node);
  const one = buildProxyState([dns], [slice('dns', [{ ip: '10.244.0.2' }], 53, 'dns', 'UDP')], node);
  const none = buildProxyState([dns], [], node);
  assert.deepEqual(staleUDPEntries(two, one), [{ frontendIP: '10.96.0.11', endpointIP: '10.244.0.3' }, { nodePort: 30053, endpointIP: '10.244.0.3' }]);
  assert.deepEqual(staleUDPEntries(none, one), [{ frontendIP: '10.96.0.11' }, { nodePort: 30053 }]);
  assert.deepEqual(conntrackArgs({ frontendIP: '10.96.0.11', endpointIP: '10.244.0.3' }), ['-D', '-p', 'udp', '--orig-dst', '10.96.0.11', '--dst-nat', '10.244.0.3']);
  assert.deepEqual(staleUDPEntries(one, one), []);
});

test('runNft reports the failing command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-proxy-nft-'));
  try {
    const fake = join(dir, 'nft');
    writeFileSync(fake, '#!/bin/sh\ncat >/dev/null\necho "/dev/stdin:2:1-9: Error: Could not process rule: No such file or directory" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    await assert.rejects(runNft('add table ip skiff-proxy\nadd rule ip skiff-proxy nope accept\n', 'updating table', fake), (e: unknown) => {
      assert.ok(e instanceof NftError);
      assert.deepEqual(e.failing, ['add rule ip skiff-proxy nope accept']);
      assert.match(e.message, /^updating table: nft -f - exited with 1: .*No such file or directory; failing command: add rule ip skiff-proxy nope accept$/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('updating the state with the changed Services gives the same table as building it anew', () => {
  const other = service('other', { clusterIP: '10.96.0.20', ports: [{ name: 'p80', protocol: 'TCP', port: 80 }] });
  const dns = service('dns', { clusterIP: '10.96.0.11', ports: [{ name: 'p80', protocol: 'UDP', port: 53 }] });
  const s1 = slice('svc1', [{ ip: '10.244.0.5' }]);
  const so = slice('other', [{ ip: '10.244.0.5' }, { ip: '10.244.0.7' }]);
  const sd = slice('dns', [{ ip: '10.244.0.8' }], 53, 'p80', 'UDP');
  const before = buildProxyState([svc1, other, dns], [s1, so, sd], node);
  // svc1 gains an endpoint, other goes away (10.244.0.5 stays in the hairpin set through svc1),
  // dns loses its only endpoint.
  const s1b = slice('svc1', [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }]);
  const changes = new Map([
    ['ns1/svc1', { svc: svc1, slices: [s1b] }],
    ['ns1/other', { svc: undefined, slices: [so] }],
    ['ns1/dns', { svc: dns, slices: [] }],
  ]);
  const updated = updateProxyState(before, changes);
  const rebuilt = buildProxyState([svc1, dns], [s1b, so], node);
  // Shared slot chains outlive their last user (the update keeps the one for 1 endpoint).
  assert.deepEqual([...updated.slotSizes].sort(), [1, 2]);
  assert.deepEqual([...rebuilt.slotSizes], [2]);
  assert.equal(fullSyncScript(updated), fullSyncScript({ ...rebuilt, slotSizes: updated.slotSizes }));
  assert.deepEqual([...updated.hairpin].sort(), [...rebuilt.hairpin].sort());
  assert.equal(incrementalSyncScript(before, updated), incrementalSyncScript(before, rebuilt));
  assert.deepEqual(staleUDPEntries(before, updated), staleUDPEntries(before, rebuilt));
  assert.deepEqual(staleUDPEntries(before, updated), [{ frontendIP: '10.96.0.11', endpointIP: '10.244.0.8' }]);
  // The previous state is left as it was.
  assert.equal(fullSyncScript(before), fullSyncScript(buildProxyState([svc1, other, dns], [s1, so, sd], node)));
});
