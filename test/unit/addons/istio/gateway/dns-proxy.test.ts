import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, test } from 'node:test';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { DnsProxy, tableAnswer } from '../../../../../src/addons/istio/gateway/dns-proxy.js';
import type { DnsEndpoint, DnsTable, ProxyConfig } from '../../../../../src/addons/istio/config/types.js';
import { policyTable } from '../../../../../src/api/networkpolicy/verdict.js';
import type { KObject } from '../../../../../src/api/types.js';
import { queryTcp, queryUdp } from '../../../../../src/addons/dns/client.js';
import { bindBoth } from '../../../../../src/addons/dns/server.js';

const TABLE: DnsTable = {
  'auto.test': { addresses: ['240.240.0.1'] },
  'mine.test': { addresses: ['192.0.2.7', '192.0.2.8'], exportTo: ['team'] },
};

/** The data and TTL of answer records (dns-packet's Answer type also covers OPT, which has neither). */
const data = (answers: Answer[] | undefined) => (answers ?? []).map((a) => (a as { data: unknown }).data);
const ttls = (answers: Answer[] | undefined) => (answers ?? []).map((a) => (a as { ttl?: number }).ttl);

const query = (name: string, type: 'A' | 'AAAA' | 'TXT' = 'A'): DecodedPacket => ({ type: 'query', id: 7, flags: 0, questions: [{ name, type, class: 'IN' }] }) as DecodedPacket;

test("the table answers A for its hosts (any case, a final dot or not), with Istio's TTL of 30 s", () => {
  assert.deepEqual(tableAnswer(query('Auto.Test.'), TABLE, 'default'), [{ type: 'A', name: 'Auto.Test.', ttl: 30, data: '240.240.0.1' }]);
  assert.deepEqual(data(tableAnswer(query('mine.test'), TABLE, 'team')), ['192.0.2.7', '192.0.2.8']);
});

test('AAAA for a host of the table is the name with no records; other types, other names and other namespaces go upstream', () => {
  assert.deepEqual(tableAnswer(query('auto.test', 'AAAA'), TABLE, 'default'), []);
  assert.equal(tableAnswer(query('auto.test', 'TXT'), TABLE, 'default'), undefined);
  assert.equal(tableAnswer(query('auto.test.default.svc.cluster.local'), TABLE, 'default'), undefined);
  assert.equal(tableAnswer(query('mine.test'), TABLE, 'default'), undefined, 'exported to team only');
  assert.equal(tableAnswer(query('mine.test'), TABLE, undefined), undefined, 'an unknown workload sees what is exported everywhere');
  assert.equal(tableAnswer(query('auto.test'), undefined, 'default'), undefined);
});

// A proxy on loopback before an upstream that answers every A query with 192.0.2.50.
let upstream: { udp: dgram.Socket; tcp: net.Server; port: number };
let proxy: DnsProxy;
let port: number;

function upstreamAnswer(msg: Buffer): Buffer {
  const q = dnsPacket.decode(msg);
  return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 5, data: '192.0.2.50' }] });
}

before(async () => {
  const makeUdp = () => {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, from) => udp.send(upstreamAnswer(msg), from.port, from.address));
    return udp;
  };
  const makeTcp = () =>
    net.createServer((s) =>
      s.on('data', (d) => {
        const a = upstreamAnswer(d.subarray(2));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(a.length);
        s.end(Buffer.concat([len, a]));
      }),
    );
  upstream = await bindBoth(makeUdp, makeTcp, '127.0.0.1', 0);
  proxy = new DnsProxy({ host: '127.0.0.1', port: upstream.port });
  proxy.update({ version: '1', listeners: [], clusters: {}, secrets: {}, dns: TABLE, workloads: { '127.0.0.1': { namespace: 'team', labels: {} } } } as ProxyConfig);
  port = await proxy.listen(0, '127.0.0.1');
});

after(async () => {
  await proxy?.close();
  upstream?.udp.close();
  upstream?.tcp.close();
});

test('over UDP: a host of the table is answered by the proxy, any other name by the upstream through it', async () => {
  const mine = await queryUdp({ host: '127.0.0.1', port }, { type: 'query', id: 11, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'mine.test', type: 'A' }] });
  assert.equal(mine.id, 11);
  assert.equal(mine.rcode, 'NOERROR');
  assert.deepEqual(data(mine.answers), ['192.0.2.7', '192.0.2.8']);
  const other = await queryUdp({ host: '127.0.0.1', port }, { type: 'query', id: 12, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'example.test', type: 'A' }] });
  assert.equal(other.id, 12);
  assert.deepEqual([data(other.answers), ttls(other.answers)], [['192.0.2.50'], [5]]);
});

test('over TCP likewise, framed by length', async () => {
  const mine = await queryTcp({ host: '127.0.0.1', port }, { type: 'query', id: 21, questions: [{ name: 'auto.test', type: 'A' }] });
  assert.deepEqual(data(mine.answers), ['240.240.0.1']);
  const other = await queryTcp({ host: '127.0.0.1', port }, { type: 'query', id: 22, questions: [{ name: 'example.test', type: 'A' }] });
  assert.deepEqual(data(other.answers), ['192.0.2.50']);
});

test("an answer too large for the client's datagram is cut to fit with TC set, as Istio's proxy truncates; TCP carries it whole", async () => {
  const many = Array.from({ length: 100 }, (_, i) => `240.240.1.${i + 1}`);
  proxy.update({ version: '2', listeners: [], clusters: {}, secrets: {}, dns: { ...TABLE, 'many.test': { addresses: many } }, workloads: {} } as ProxyConfig);
  try {
    const raw = (q: object) =>
      new Promise<Buffer>((resolve, reject) => {
        const s = dgram.createSocket('udp4');
        s.once('message', (m) => (s.close(), resolve(m)));
        s.once('error', reject);
        s.send(dnsPacket.encode(q as dnsPacket.Packet), port, '127.0.0.1');
      });
    const plain = await raw({ type: 'query', id: 31, questions: [{ name: 'many.test', type: 'A' }] });
    assert.ok(plain.length <= 512, `${plain.length} bytes`);
    const cut = dnsPacket.decode(plain);
    assert.equal(cut.flag_tc, true);
    assert.ok((cut.answers ?? []).length < 100);
    // EDNS: the client's buffer size, up to 1232 bytes, and the OPT record back.
    const edns = dnsPacket.decode(await raw({ type: 'query', id: 32, questions: [{ name: 'many.test', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 }] }));
    assert.equal(edns.flag_tc, true);
    assert.ok((edns.answers ?? []).length > (cut.answers ?? []).length);
    assert.equal(edns.additionals?.[0]?.type, 'OPT');
    const whole = await queryTcp({ host: '127.0.0.1', port }, { type: 'query', id: 33, questions: [{ name: 'many.test', type: 'A' }] });
    assert.deepEqual(data(whole.answers), many);
    assert.equal(whole.flag_tc, false);
  } finally {
    proxy.update({ version: '3', listeners: [], clusters: {}, secrets: {}, dns: TABLE, workloads: { '127.0.0.1': { namespace: 'team', labels: {} } } } as ProxyConfig);
  }
});

test("NetworkPolicy: a query the proxy forwards is held to the asking pod's egress policies; the table answers whatever they say", async () => {
  const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>): KObject =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, labels }, spec: { nodeName: 'n1' }, status: { phase: 'Running', podIP: ip, hostIP: '10.0.0.1' } }) as KObject;
  const ns = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }) as KObject;
  const egress = (rules: unknown[]): KObject =>
    ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'team', name: 'egress' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: rules } }) as KObject;
  const pods = [pod('team', 'client', '127.0.0.1', { app: 'client' }), pod('kube-system', 'coredns', '10.244.0.3', { 'k8s-app': 'kube-dns' })];
  const namespaces = [ns('team'), ns('kube-system')];
  const dnsEndpoints: DnsEndpoint[] = [
    { address: '10.244.0.3', port: 53, protocol: 'udp' },
    { address: '10.244.0.3', port: 53, protocol: 'tcp' },
  ];
  const withPolicy = (policy: KObject) =>
    proxy.update({ version: 'p', listeners: [], clusters: {}, secrets: {}, dns: TABLE, workloads: { '127.0.0.1': { namespace: 'team', labels: {} } }, policies: policyTable([policy], pods, namespaces), dnsEndpoints } as ProxyConfig);
  // A refused query gets no answer at all: waiting 300 ms for one says so (answered ones take their client's 2 s).
  const ask = (over: typeof queryUdp, name: string, timeoutMs?: number) => over({ host: '127.0.0.1', port }, { type: 'query', id: 41, questions: [{ name, type: 'A' }] }, timeoutMs ? { timeoutMs } : {});
  try {
    // The usual allowance: UDP 53 to the cluster DNS's pods. TCP is not in it.
    withPolicy(egress([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }]));
    assert.deepEqual(data((await ask(queryUdp, 'example.test')).answers), ['192.0.2.50']);
    await assert.rejects(ask(queryTcp, 'example.test', 300), /no reply within 300 ms/);
    assert.deepEqual(data((await ask(queryTcp, 'mine.test')).answers), ['192.0.2.7', '192.0.2.8']);
    // Everything denied: the upstream is out of reach, the table is not.
    withPolicy(egress([]));
    await assert.rejects(ask(queryUdp, 'example.test', 300), /no reply within 300 ms/);
    assert.deepEqual(data((await ask(queryUdp, 'mine.test')).answers), ['192.0.2.7', '192.0.2.8']);
  } finally {
    proxy.update({ version: '3', listeners: [], clusters: {}, secrets: {}, dns: TABLE, workloads: { '127.0.0.1': { namespace: 'team', labels: {} } } } as ProxyConfig);
  }
});
