import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { forwarderTo, parseNameserver, reachableNameservers, resolvConfNameservers } from '../../../../src/addons/dns/upstream.js';

const ns = (host: string, port = 53) => ({ host, port });

test('resolv.conf nameserver lines, comments and zone ids dropped', () => {
  const text = '# generated\nsearch example.org\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\n; nameserver 192.0.2.9\nnameserver not-an-ip\noptions edns0\nnameserver 127.0.0.53 # resolved\n';
  assert.deepEqual(resolvConfNameservers(text), ['192.0.2.1', 'fe80::1', '127.0.0.53']);
});

test('forward targets: addresses with and without port; a path is not one', () => {
  assert.deepEqual(parseNameserver('192.0.2.1'), ns('192.0.2.1'));
  assert.deepEqual(parseNameserver('dns://192.0.2.1:5353'), ns('192.0.2.1', 5353));
  assert.deepEqual(parseNameserver('[2001:db8::1]:53'), ns('2001:db8::1'));
  assert.deepEqual(parseNameserver('2001:db8::1'), ns('2001:db8::1'));
  assert.equal(parseNameserver('/etc/resolv.conf'), undefined);
});

test('reachable nameservers follow the cluster egress and never include loopback', () => {
  const all = [ns('127.0.0.53'), ns('::1'), ns('192.0.2.1'), ns('198.51.100.7')];
  assert.deepEqual(reachableNameservers(all, 'none'), []);
  assert.deepEqual(reachableNameservers(all, 'all'), [ns('192.0.2.1'), ns('198.51.100.7')]);
  assert.deepEqual(reachableNameservers(all, '198.51.100.0/24'), [ns('198.51.100.7')]);
  assert.deepEqual(reachableNameservers(all, '10.0.0.0/8, 192.0.2.1/32'), [ns('192.0.2.1')]);
});

test('the forwarder asks the next nameserver when one does not answer', async (t) => {
  assert.equal(forwarderTo([]), undefined);
  const silent = dgram.createSocket('udp4');
  const upstream = dgram.createSocket('udp4');
  t.after(() => {
    silent.close();
    upstream.close();
  });
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const reply = dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ name: q.questions![0].name, type: 'A', ttl: 60, data: '192.0.2.53' }] });
    upstream.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
  const forward = forwarderTo([ns('127.0.0.1', silent.address().port), ns('127.0.0.1', upstream.address().port)], 200)!;
  const res = await forward({ type: 'query', id: 7, questions: [{ name: 'example.org', type: 'A' }] });
  assert.deepEqual(res.answers?.map((a) => (a as { data: unknown }).data), ['192.0.2.53']);
  const dead = forwarderTo([ns('127.0.0.1', silent.address().port)], 100)!;
  await assert.rejects(dead({ type: 'query', id: 8, questions: [{ name: 'example.org', type: 'A' }] }), /no reply within 100 ms/);
});
