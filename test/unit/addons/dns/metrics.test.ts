import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { queryTcp, queryUdp } from '../../../../src/addons/dns/client.js';
import { DnsMetrics } from '../../../../src/addons/dns/metrics.js';
import { startDnsServer } from '../../../../src/addons/dns/server.js';
import { fixtureView } from './fixtures.js';

test('every answered query is counted by protocol, family, type and rcode', async (t) => {
  const metrics = new DnsMetrics('dns://:53', '1.11.3');
  const view = fixtureView();
  const server = await startDnsServer({ host: '127.0.0.1', port: 0, view: () => view, log: () => {}, onAnswer: metrics.count });
  t.after(() => server.close());
  const ns = { host: '127.0.0.1', port: server.port };
  const q = (name: string, type: 'A' | 'NULL') => ({ type: 'query' as const, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] });
  await queryUdp(ns, q('kubernetes.default.svc.cluster.local', 'A'));
  await queryUdp(ns, q('nope.default.svc.cluster.local', 'A'));
  await queryTcp(ns, q('kubernetes.default.svc.cluster.local', 'NULL'));
  const text = metrics.render();
  assert.match(text, /^coredns_build_info\{goversion="node[^"]+",revision="skiff",version="1\.11\.3"\} 1$/m);
  assert.match(text, /^coredns_dns_requests_total\{proto="udp",family="1",type="A",server="dns:\/\/:53",view="",zone="\."\} 2$/m);
  assert.match(text, /^coredns_dns_requests_total\{proto="tcp",family="1",type="other",server="dns:\/\/:53",view="",zone="\."\} 1$/m);
  assert.match(text, /^coredns_dns_responses_total\{rcode="NOERROR",plugin="",server="dns:\/\/:53",view="",zone="\."\} 2$/m);
  assert.match(text, /^coredns_dns_responses_total\{rcode="NXDOMAIN",plugin="",server="dns:\/\/:53",view="",zone="\."\} 1$/m);
});
