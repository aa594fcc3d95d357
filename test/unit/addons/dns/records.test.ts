import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer, RecordType } from 'dns-packet';
import { answer, reverseName, addressFromReverse, type AnswerOptions } from '../../../../src/addons/dns/records.js';
import { fixtureView } from './fixtures.js';

const view = fixtureView();
const dataOf = (a: Answer): unknown => (a as { data?: unknown }).data;
const ask = (name: string, type: RecordType, opts?: AnswerOptions) => answer({ name, type }, view, opts);

const A = (name: string, ip: string, ttl = 5) => ({ name, type: 'A', class: 'IN', ttl, data: ip });
const SOA = (zone = 'cluster.local') => ({
  name: zone,
  type: 'SOA',
  class: 'IN',
  ttl: 5,
  data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
});

function assertNxdomain(name: string, type: RecordType, opts?: AnswerOptions) {
  const r = ask(name, type, opts);
  assert.equal(r.rcode, 'NXDOMAIN', `${type} ${name}`);
  assert.deepEqual(r.answers, []);
  assert.deepEqual(r.authority, [SOA()]);
}

function assertNodata(name: string, type: RecordType) {
  const r = ask(name, type);
  assert.equal(r.rcode, 'NOERROR', `${type} ${name}`);
  assert.deepEqual(r.answers, [], `${type} ${name}`);
  assert.deepEqual(r.authority, [SOA()]);
}

test('ClusterIP Service: A <svc>.<ns>.svc.<zone> is the ClusterIP, TTL 5, authoritative', () => {
  const r = ask('kubernetes.default.svc.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.authoritative, true);
  assert.equal(r.fallthrough, false);
  assert.deepEqual(r.answers, [A('kubernetes.default.svc.cluster.local', '10.96.0.1')]);
  assert.deepEqual(r.authority, []);
  assert.deepEqual(ask('kube-dns.kube-system.svc.cluster.local.', 'A').answers, [A('kube-dns.kube-system.svc.cluster.local', '10.96.0.10')]);
});

test('names compare case-insensitively and the answer keeps the question spelling', () => {
  const r = ask('KuBeRnEtEs.Default.SVC.Cluster.Local', 'A');
  assert.deepEqual(r.answers, [A('KuBeRnEtEs.Default.SVC.Cluster.Local', '10.96.0.1')]);
});

test('NODATA: the name exists but not with this type (AAAA, MX, NS of a Service)', () => {
  assertNodata('kubernetes.default.svc.cluster.local', 'AAAA');
  assertNodata('kubernetes.default.svc.cluster.local', 'MX');
  assertNodata('kubernetes.default.svc.cluster.local', 'NS');
  assertNodata('kubernetes.default.svc.cluster.local', 'CNAME');
  // The zone apex, svc/pod apex and an existing namespace are names without records.
  assertNodata('cluster.local', 'A');
  assertNodata('svc.cluster.local', 'A');
  assertNodata('default.svc.cluster.local', 'A');
  assertNodata('default.pod.cluster.local', 'A');
});

test('NXDOMAIN with the CoreDNS SOA for names that do not exist', () => {
  assertNxdomain('nope.default.svc.cluster.local', 'A');
  assertNxdomain('nope.default.svc.cluster.local', 'AAAA');
  assertNxdomain('nope.default.svc.cluster.local', 'MX');
  assertNxdomain('kubernetes.missing-ns.svc.cluster.local', 'A');
  assertNxdomain('missing-ns.svc.cluster.local', 'A');
  assertNxdomain('foo.cluster.local', 'A');
  assertNxdomain('a.b.c.kubernetes.default.svc.cluster.local', 'A');
});

test('SRV _<port>._<proto> of a ClusterIP Service targets the Service name, A in additional', () => {
  const r = ask('_https._tcp.kubernetes.default.svc.cluster.local', 'SRV');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.answers, [
    {
      name: '_https._tcp.kubernetes.default.svc.cluster.local',
      type: 'SRV',
      class: 'IN',
      ttl: 5,
      data: { priority: 0, weight: 100, port: 443, target: 'kubernetes.default.svc.cluster.local' },
    },
  ]);
  assert.deepEqual(r.additionals, [A('kubernetes.default.svc.cluster.local', '10.96.0.1')]);
  const dns = ask('_dns._udp.kube-dns.kube-system.svc.cluster.local', 'SRV');
  assert.deepEqual(dns.answers.map(dataOf), [{ priority: 0, weight: 100, port: 53, target: 'kube-dns.kube-system.svc.cluster.local' }]);
  // Protocol mismatch and unknown port names match nothing: NXDOMAIN, as CoreDNS.
  assertNxdomain('_https._udp.kubernetes.default.svc.cluster.local', 'SRV');
  assertNxdomain('_nope._tcp.kubernetes.default.svc.cluster.local', 'SRV');
});

test('unnamed ports have no _<port>._<proto> SRV; the bare Service name lists every port (CoreDNS)', () => {
  assertNxdomain('_9000._tcp.single.default.svc.cluster.local', 'SRV');
  assert.deepEqual(ask('single.default.svc.cluster.local', 'SRV').answers.map(dataOf), [
    { priority: 0, weight: 100, port: 9000, target: 'single.default.svc.cluster.local' },
  ]);
});

test('headless Service: one A per ready endpoint', () => {
  const r = ask('db.default.svc.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.answers, [A('db.default.svc.cluster.local', '10.244.0.5'), A('db.default.svc.cluster.local', '10.244.0.6')]);
});

test('headless Service without ready endpoints is NXDOMAIN (specification 2.4.1)', () => {
  assertNxdomain('empty.default.svc.cluster.local', 'A');
});

test('publishNotReadyAddresses publishes not-ready endpoints', () => {
  assert.deepEqual(ask('early.default.svc.cluster.local', 'A').answers, [A('early.default.svc.cluster.local', '10.244.0.11')]);
  assert.deepEqual(ask('early-0.early.default.svc.cluster.local', 'A').answers, [A('early-0.early.default.svc.cluster.local', '10.244.0.11')]);
});

test('endpoint records <hostname>.<svc>.<ns>.svc: the hostname field, else the dashed IP', () => {
  assert.deepEqual(ask('db-0.db.default.svc.cluster.local', 'A').answers, [A('db-0.db.default.svc.cluster.local', '10.244.0.5')]);
  assert.deepEqual(ask('10-244-0-6.db.default.svc.cluster.local', 'A').answers, [A('10-244-0-6.db.default.svc.cluster.local', '10.244.0.6')]);
  // Not ready: no record.
  assertNxdomain('db-2.db.default.svc.cluster.local', 'A');
  // CoreDNS answers endpoint names of ClusterIP Services too.
  assert.deepEqual(ask('10-244-1-2.web.default.svc.cluster.local', 'A').answers, [A('10-244-1-2.web.default.svc.cluster.local', '10.244.1.2')]);
});

test('headless SRV: one per ready endpoint and named port, targeting the endpoint name', () => {
  const r = ask('_mysql._tcp.db.default.svc.cluster.local', 'SRV');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(
    r.answers.map(dataOf),
    [
      { priority: 0, weight: 50, port: 3306, target: 'db-0.db.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 3306, target: '10-244-0-6.db.default.svc.cluster.local' },
    ],
  );
  assert.deepEqual(r.additionals, [A('db-0.db.default.svc.cluster.local', '10.244.0.5'), A('10-244-0-6.db.default.svc.cluster.local', '10.244.0.6')]);
});

test('pod records a-b-c-d.<ns>.pod.<zone>: insecure answers from the name, verified needs the pod', () => {
  const name = '10-244-0-5.default.pod.cluster.local';
  assert.deepEqual(ask(name, 'A').answers, [A(name, '10.244.0.5')]);
  assert.deepEqual(ask('1-2-3-4.default.pod.cluster.local', 'A').answers, [A('1-2-3-4.default.pod.cluster.local', '1.2.3.4')]);
  assertNodata(name, 'AAAA');
  assertNxdomain('not-an-ip.default.pod.cluster.local', 'A');
  assertNxdomain('1-2-3-4.missing-ns.pod.cluster.local', 'A');

  assert.deepEqual(ask(name, 'A', { podMode: 'verified' }).answers, [A(name, '10.244.0.5')]);
  assertNxdomain('1-2-3-4.default.pod.cluster.local', 'A', { podMode: 'verified' });
  assertNxdomain('10-244-0-5.other.pod.cluster.local', 'A', { podMode: 'verified' });
  assertNxdomain(name, 'A', { podMode: 'disabled' });
});

test('ExternalName: CNAME to the external name, left for the server to chase outside the zone', () => {
  const r = ask('ext.default.svc.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.answers, [{ name: 'ext.default.svc.cluster.local', type: 'CNAME', class: 'IN', ttl: 5, data: 'www.example.com' }]);
  assert.deepEqual(r.chase, { name: 'www.example.com', type: 'A' });
  assert.deepEqual(ask('ext.default.svc.cluster.local', 'CNAME').answers, [
    { name: 'ext.default.svc.cluster.local', type: 'CNAME', class: 'IN', ttl: 5, data: 'www.example.com' },
  ]);
  assert.equal(ask('ext.default.svc.cluster.local', 'CNAME').chase, undefined);
  // CoreDNS serves no SRV for ExternalName Services.
  assertNodata('ext.default.svc.cluster.local', 'SRV');
});

test('ExternalName inside the zone is followed to the A record', () => {
  const r = ask('alias.default.svc.cluster.local', 'A');
  assert.deepEqual(r.answers, [
    { name: 'alias.default.svc.cluster.local', type: 'CNAME', class: 'IN', ttl: 5, data: 'web.default.svc.cluster.local' },
    A('web.default.svc.cluster.local', '10.96.0.20'),
  ]);
  assert.equal(r.chase, undefined);
});

test('PTR for ClusterIPs and endpoint IPs; unknown reverse names fall through', () => {
  const ptr = (name: string, target: string) => ({ name, type: 'PTR', class: 'IN', ttl: 5, data: target });
  assert.equal(reverseName('10.96.0.1'), '1.0.96.10.in-addr.arpa');
  assert.deepEqual(ask('1.0.96.10.in-addr.arpa', 'PTR').answers, [ptr('1.0.96.10.in-addr.arpa', 'kubernetes.default.svc.cluster.local')]);
  assert.deepEqual(ask('5.0.244.10.in-addr.arpa', 'PTR').answers, [ptr('5.0.244.10.in-addr.arpa', 'db-0.db.default.svc.cluster.local')]);
  assert.deepEqual(ask('6.0.244.10.IN-ADDR.ARPA', 'PTR').answers, [ptr('6.0.244.10.IN-ADDR.ARPA', '10-244-0-6.db.default.svc.cluster.local')]);
  const unknown = ask('9.9.9.9.in-addr.arpa', 'PTR');
  assert.equal(unknown.rcode, 'NXDOMAIN');
  assert.equal(unknown.fallthrough, true);
  assert.deepEqual(unknown.authority, [SOA('in-addr.arpa')]);
  // Not-ready endpoints have no PTR either.
  assert.equal(ask('7.0.244.10.in-addr.arpa', 'PTR').rcode, 'NXDOMAIN');
});

test('reverse names of IPv6 addresses round-trip', () => {
  const name = reverseName('fd00::1');
  assert.equal(name, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa');
  assert.equal(addressFromReverse(name), 'fd00:0000:0000:0000:0000:0000:0000:0001');
  assert.equal(addressFromReverse('3.2.1.in-addr.arpa'), '');
});

test('dns-version TXT carries the schema version; other TXT questions are NODATA', () => {
  const r = ask('dns-version.cluster.local', 'TXT');
  assert.deepEqual(r.answers, [{ name: 'dns-version.cluster.local', type: 'TXT', class: 'IN', ttl: 28800, data: '1.0.1' }]);
  assertNodata('kubernetes.default.svc.cluster.local', 'TXT');
});

test('SOA question gets the zone SOA', () => {
  const r = ask('kubernetes.default.svc.cluster.local', 'SOA');
  assert.deepEqual(r.answers, [SOA()]);
});

test('names outside the served zones are not answered from the view', () => {
  const r = ask('www.example.com', 'A');
  assert.equal(r.fallthrough, true);
  assert.equal(r.authoritative, false);
  assert.deepEqual(r.answers, []);
});

test('another cluster domain and TTL', () => {
  const r = ask('kubernetes.default.svc.example.internal', 'A', { zone: 'example.internal', ttl: 30 });
  assert.deepEqual(r.answers, [A('kubernetes.default.svc.example.internal', '10.96.0.1', 30)]);
  assert.equal(ask('kubernetes.default.svc.cluster.local', 'A', { zone: 'example.internal' }).fallthrough, true);
});
