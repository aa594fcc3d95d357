import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dnsPacket, { type Answer, type Packet, type RecordType } from 'dns-packet';
import { startDnsServer, type DnsServer } from '../../../../src/addons/dns/server.js';
import { queryTcp, queryUdp, udpForwarder, type DnsReply } from '../../../../src/addons/dns/client.js';
import type { ClusterView } from '../../../../src/addons/dns/records.js';
import { fixtureView, service, slice } from './fixtures.js';

const HOST = '127.0.0.1';
const BIG = 100;

function bigView(): ClusterView {
  const v = fixtureView();
  v.services.push(service('default', 'big', { clusterIP: 'None', ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }));
  const eps = Array.from({ length: BIG }, (_, i) => ({ ip: `10.245.${Math.floor(i / 250)}.${(i % 250) + 1}`, ready: true }));
  v.endpointSlices.push(slice('default', 'big', eps, [{ name: 'p', port: 80, protocol: 'TCP' }]));
  return v;
}

const q = (name: string, type: RecordType, extra: Partial<Packet> = {}): Packet => ({
  type: 'query',
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ name, type }],
  ...extra,
});
const dataOf = (a: Answer): unknown => (a as { data?: unknown }).data;

let dir: string;
let hostsFile: string;
let server: DnsServer;
let upstreamSock: dgram.Socket;
let upstreamPort: number;
let upstreamSeen: string[];
let forwarding: DnsServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-dns-'));
  hostsFile = path.join(dir, 'hosts');
  fs.writeFileSync(hostsFile, '127.0.0.1 localhost\n10.1.2.3  myhost.example myhost # the node\n::1 localhost ip6-localhost\n');
  const view = bigView();
  server = await startDnsServer({ host: HOST, port: 0, view: () => view, hostsFile, log: () => {} });

  // A fake upstream nameserver on the loopback: every A question is 192.0.2.53.
  upstreamSeen = [];
  upstreamSock = dgram.createSocket('udp4');
  upstreamSock.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    const qq = query.questions![0];
    upstreamSeen.push(`${qq.type} ${qq.name}`);
    const answers: Answer[] = qq.type === 'A' && qq.name !== 'nx.example' ? [{ name: qq.name, type: 'A', class: 'IN', ttl: 60, data: '192.0.2.53' }] : [];
    const rcode = qq.name === 'nx.example' ? 3 : 0;
    const res = dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | rcode, questions: query.questions, answers });
    upstreamSock.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstreamSock.bind(0, HOST, () => r()));
  upstreamPort = upstreamSock.address().port;
  forwarding = await startDnsServer({
    host: HOST,
    port: 0,
    view: () => view,
    hostsFile,
    upstream: udpForwarder({ host: HOST, port: upstreamPort }),
    log: () => {},
  });
});

after(async () => {
  await server.close();
  await forwarding.close();
  upstreamSock.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('answers cluster names over UDP and TCP on the same port', async () => {
  for (const ask of [queryUdp, queryTcp]) {
    const res = await ask({ host: HOST, port: server.port }, q('kubernetes.default.svc.cluster.local', 'A'));
    assert.equal(res.rcode, 'NOERROR');
    assert.equal(res.flag_aa, true);
    assert.equal(res.flag_rd, true);
    assert.equal(res.flag_tc, false);
    assert.deepEqual(res.answers, [{ name: 'kubernetes.default.svc.cluster.local', type: 'A', class: 'IN', ttl: 5, flush: false, data: '10.96.0.1' }]);
  }
});

test('NXDOMAIN and NODATA carry the SOA over the wire', async () => {
  const nx = await queryUdp({ host: HOST, port: server.port }, q('nope.default.svc.cluster.local', 'A'));
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.authorities!.length, 1);
  const soa = nx.authorities![0] as unknown as { name: string; type: string; ttl: number; data: Record<string, unknown> };
  assert.equal(soa.type, 'SOA');
  assert.equal(soa.name, 'cluster.local');
  assert.equal(soa.ttl, 5);
  assert.deepEqual(
    { mname: soa.data.mname, rname: soa.data.rname, serial: soa.data.serial, minimum: soa.data.minimum },
    { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 42, minimum: 5 },
  );
  const nodata = await queryUdp({ host: HOST, port: server.port }, q('kubernetes.default.svc.cluster.local', 'AAAA'));
  assert.equal(nodata.rcode, 'NOERROR');
  assert.deepEqual(nodata.answers, []);
  assert.equal(nodata.authorities!.length, 1);
});

test('dns-version TXT over the wire', async () => {
  const res = await queryUdp({ host: HOST, port: server.port }, q('dns-version.cluster.local', 'TXT'));
  assert.deepEqual(res.answers!.map((a) => (dataOf(a) as Buffer[]).map(String)), [['1.0.1']]);
});

test('a large headless answer is truncated over UDP without EDNS and complete over TCP', async () => {
  const udp = await queryUdp({ host: HOST, port: server.port }, q('big.default.svc.cluster.local', 'A'));
  assert.equal(udp.flag_tc, true);
  assert.ok(udp.answers!.length < BIG, `UDP carried ${udp.answers!.length} answers`);
  assert.ok(dnsPacket.encodingLength(udp) <= 512);

  const tcp = await queryTcp({ host: HOST, port: server.port }, q('big.default.svc.cluster.local', 'A'));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, BIG);
  assert.deepEqual(new Set(tcp.answers!.map(dataOf)).size, BIG);

  const srv = await queryTcp({ host: HOST, port: server.port }, q('_p._tcp.big.default.svc.cluster.local', 'SRV'));
  assert.equal(srv.answers!.length, BIG);
  assert.equal(srv.additionals!.length, BIG);
});

test('EDNS raises the UDP limit and the reply carries an OPT record', async () => {
  const opt: Answer = { type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  const res = await queryUdp({ host: HOST, port: server.port }, q('big.default.svc.cluster.local', 'A', { additionals: [opt] }));
  assert.equal(res.flag_tc, true);
  assert.ok(res.answers!.length > 10, `EDNS reply carried only ${res.answers!.length} answers`);
  assert.ok(dnsPacket.encodingLength(res) <= 1232);
  assert.ok(res.additionals!.some((a) => a.type === 'OPT'));
  const small = await queryUdp({ host: HOST, port: server.port }, q('db.default.svc.cluster.local', 'A', { additionals: [opt] }));
  assert.equal(small.flag_tc, false);
  assert.equal(small.answers!.length, 2);
});

test('names outside the cluster come from the hosts file; without upstream the rest is SERVFAIL', async () => {
  const ns = { host: HOST, port: server.port };
  const a = await queryUdp(ns, q('MyHost.example', 'A'));
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(a.answers, [{ name: 'MyHost.example', type: 'A', class: 'IN', ttl: 3600, flush: false, data: '10.1.2.3' }]);
  const aaaa = await queryUdp(ns, q('myhost.example', 'AAAA'));
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
  const ptr = await queryUdp(ns, q('3.2.1.10.in-addr.arpa', 'PTR'));
  assert.deepEqual(ptr.answers!.map(dataOf), ['myhost.example', 'myhost']);
  const six = await queryUdp(ns, q('ip6-localhost', 'AAAA'));
  assert.deepEqual(six.answers!.map(dataOf), ['::1']);

  const other = await queryUdp(ns, q('www.example.com', 'A'));
  assert.equal(other.rcode, 'SERVFAIL');
  // An unknown reverse name of the cluster keeps its NXDOMAIN.
  const rev = await queryUdp(ns, q('9.9.9.9.in-addr.arpa', 'PTR'));
  assert.equal(rev.rcode, 'NXDOMAIN');
  // ExternalName without an upstream: the CNAME alone.
  const ext = await queryUdp(ns, q('ext.default.svc.cluster.local', 'A'));
  assert.deepEqual(ext.answers!.map((x) => [x.type, dataOf(x)]), [['CNAME', 'www.example.com']]);
});

test('with an upstream, other names are forwarded and ExternalName targets chased', async () => {
  const ns = { host: HOST, port: forwarding.port };
  upstreamSeen.length = 0;
  const res = await queryUdp(ns, q('www.example.com', 'A'));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.flag_aa, false);
  assert.deepEqual(res.answers!.map(dataOf), ['192.0.2.53']);
  const nx = await queryTcp(ns, q('nx.example', 'A'));
  assert.equal(nx.rcode, 'NXDOMAIN');

  const ext = await queryUdp(ns, q('ext.default.svc.cluster.local', 'A'));
  assert.deepEqual(ext.answers!.map((x) => [x.name, x.type, dataOf(x)]), [
    ['ext.default.svc.cluster.local', 'CNAME', 'www.example.com'],
    ['www.example.com', 'A', '192.0.2.53'],
  ]);
  // The hosts file wins over the upstream; cluster names never leave the server.
  await queryUdp(ns, q('myhost.example', 'A'));
  await queryUdp(ns, q('kubernetes.default.svc.cluster.local', 'A'));
  assert.deepEqual(upstreamSeen, ['A www.example.com', 'A nx.example', 'A www.example.com']);
});

function frame(p: Packet): Buffer {
  const body = dnsPacket.encode(p);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length, 0);
  return Buffer.concat([len, body]);
}

test('several queries pipelined on one TCP connection, in one write', async () => {
  const sock = net.connect({ host: HOST, port: server.port });
  const replies: DnsReply[] = [];
  const done = new Promise<void>((resolve, reject) => {
    let pending = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        replies.push(dnsPacket.decode(pending.subarray(2, 2 + len)) as DnsReply);
        pending = pending.subarray(2 + len);
        if (replies.length === 2) resolve();
      }
    });
  });
  sock.write(Buffer.concat([frame(q('web.default.svc.cluster.local', 'A', { id: 1 })), frame(q('1.0.96.10.in-addr.arpa', 'PTR', { id: 2 }))]));
  await done;
  sock.destroy();
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.deepEqual(byId.get(1)!.answers!.map(dataOf), ['10.96.0.20']);
  assert.deepEqual(byId.get(2)!.answers!.map(dataOf), ['kubernetes.default.svc.cluster.local']);
});

test('a malformed query gets FORMERR for its id', async () => {
  const sock = dgram.createSocket('udp4');
  const reply = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
  // A header announcing one question, followed by a truncated name.
  const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
  sock.send(junk, server.port, HOST);
  const res = dnsPacket.decode(await reply) as DnsReply;
  sock.close();
  assert.equal(res.id, 0x1234);
  assert.equal(res.rcode, 'FORMERR');
});
