import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetpolState, EGRESS_PODS, INGRESS_PODS, policyId, type NetpolInput } from '../../../../src/node/networkpolicy/rules.js';
import type { KObject } from '../../../../src/api/types.js';
import { allowed, type Packet } from './evaluate.js';
import { NODE, namespace, pod, policy } from './fixtures.js';

// The NetworkPolicy semantics of the rule builder, asked through a small interpreter of the
// generated rules (evaluate.ts): which new connections pass the node's forward hook.

const web = pod('prod', 'web', { app: 'web' }, '10.244.0.10', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
const db = pod('prod', 'db', { app: 'db' }, '10.244.0.11');
const client = pod('prod', 'client', { app: 'client' }, '10.244.1.20', { node: 'n2' });
const other = pod('prod', 'other', { app: 'other' }, '10.244.1.21', { node: 'n2' });
const devClient = pod('dev', 'client', { app: 'client' }, '10.244.1.30', { node: 'n2' });
const opsTool = pod('ops', 'tool', { app: 'tool' }, '10.244.1.40', { node: 'n2', ports: [{ name: 'http', containerPort: 9090 }] });
const namespaces = [namespace('prod', { env: 'prod' }), namespace('dev', { env: 'dev' }), namespace('ops', { team: 'ops' })];
const pods = [web, db, client, other, devClient, opsTool];

const state = (policies: KObject[], extra: Partial<NetpolInput> = {}) => buildNetpolState({ policies, pods, namespaces, nodeName: NODE, ...extra });
const tcp = (src: KObject | string, dst: KObject | string, port: number): Packet => ({ src: ipOf(src), dst: ipOf(dst), proto: 'tcp', port });
const ipOf = (p: KObject | string) => (typeof p === 'string' ? p : ((p.status as { podIP: string }).podIP));

test('without policies nothing is isolated and the table holds no chains', () => {
  const s = state([]);
  assert.equal(s.chains.size, 0);
  assert.equal(s.sets.get(INGRESS_PODS)!.elements.size, 0);
  assert.equal(s.sets.get(EGRESS_PODS)!.elements.size, 0);
  assert.ok(allowed(s, tcp(client, web, 80)));
});

test('default-deny ingress isolates the namespace pods of this node only', () => {
  const s = state([policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
  assert.deepEqual([...s.sets.get(INGRESS_PODS)!.elements.keys()].sort(), ['10.244.0.10', '10.244.0.11']);
  assert.equal(allowed(s, tcp(client, web, 80)), false);
  assert.equal(allowed(s, tcp(db, web, 80)), false, 'same node is blocked too');
  assert.equal(allowed(s, { src: ipOf(client), dst: ipOf(web), proto: 'icmp' }), false);
  // Egress is not isolated by an Ingress-only policy, and other namespaces are untouched.
  assert.ok(allowed(s, tcp(web, client, 80)));
  assert.ok(allowed(s, tcp(web, '8.8.8.8', 53)));
  // A pod may always reach itself (through a Service, the packet crosses the node).
  assert.ok(allowed(s, tcp(web, web, 80)));
});

test('the other node builds nothing for a policy whose pods are all here', () => {
  const s = state([policy('prod', 'deny', { podSelector: { matchLabels: { app: 'web' } } })], { nodeName: 'n3' });
  assert.equal(s.chains.size, 0);
});

test('policyTypes left out: Ingress, plus Egress when egress rules exist', () => {
  const s = state([policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] })]);
  assert.equal(allowed(s, tcp(client, web, 80)), false, 'ingress isolated');
  assert.ok(allowed(s, tcp(web, db, 5432)));
  assert.equal(allowed(s, tcp(web, client, 80)), false, 'egress isolated');
});

test('podSelector peer: only matching pods of the policy namespace', () => {
  const s = state([policy('prod', 'allow-client', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] })]);
  assert.ok(allowed(s, tcp(client, web, 80)));
  assert.equal(allowed(s, tcp(other, web, 80)), false);
  assert.equal(allowed(s, tcp(devClient, web, 80)), false, 'same labels in another namespace do not count');
  assert.ok(allowed(s, tcp(client, db, 80)), 'db is not selected');
});

test('namespaceSelector alone, and together with podSelector', () => {
  const nsOnly = state([policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'dev' } } }] }] })]);
  assert.ok(allowed(nsOnly, tcp(devClient, web, 80)));
  assert.equal(allowed(nsOnly, tcp(client, web, 80)), false);

  const both = state([
    policy('prod', 'p', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, podSelector: { matchLabels: { app: 'client' } } }] }],
    }),
  ]);
  assert.ok(allowed(both, tcp(client, web, 80)));
  assert.ok(allowed(both, tcp(devClient, web, 80)));
  assert.equal(allowed(both, tcp(other, web, 80)), false);
  assert.equal(allowed(both, tcp(opsTool, web, 80)), false, 'ops has no env label');

  // Two peers in one rule are ORed; the empty namespaceSelector selects every namespace.
  const any = state([policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] })]);
  assert.ok(allowed(any, tcp(opsTool, web, 80)));
  assert.equal(allowed(any, tcp('172.18.0.9', web, 80)), false, 'addresses outside the pods are not namespace members');
});

test('ipBlock with except', () => {
  const s = state([
    policy('prod', 'p', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ ipBlock: { cidr: '10.244.1.0/24', except: ['10.244.1.32/27', '10.244.1.21/32'] } }, { ipBlock: { cidr: 'fd00::/8' } }] }],
    }),
  ]);
  assert.ok(allowed(s, tcp(client, web, 80)));
  assert.ok(allowed(s, tcp(devClient, web, 80)));
  assert.equal(allowed(s, tcp(other, web, 80)), false, '10.244.1.21 is excepted');
  assert.equal(allowed(s, tcp(opsTool, web, 80)), false, '10.244.1.40 is in an excepted /27');
  assert.equal(allowed(s, tcp('10.244.2.5', web, 80)), false);
  const peers = [...s.sets.get(`${policyId('prod', 'p')}-in0-peers`)!.elements.keys()];
  assert.deepEqual(peers, ['10.244.1.0-10.244.1.20', '10.244.1.22-10.244.1.31', '10.244.1.64-10.244.1.255']);
});

test('ports: number, range with endPort, protocol only, and what else stays closed', () => {
  const s = state([
    policy('prod', 'p', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8010 }, { protocol: 'SCTP' }] }],
    }),
  ]);
  assert.ok(allowed(s, tcp(client, web, 80)));
  assert.equal(allowed(s, tcp(client, web, 81)), false);
  assert.ok(allowed(s, tcp(client, web, 8000)));
  assert.ok(allowed(s, tcp(client, web, 8010)));
  assert.equal(allowed(s, tcp(client, web, 8011)), false);
  assert.equal(allowed(s, { src: ipOf(client), dst: ipOf(web), proto: 'udp', port: 80 }), false, 'protocol counts');
  assert.ok(allowed(s, { src: ipOf(client), dst: ipOf(web), proto: 'sctp', port: 9 }));
  assert.equal(allowed(s, { src: ipOf(client), dst: ipOf(web), proto: 'icmp' }), false);
});

test('a named port is resolved against the destination pod, with its protocol', () => {
  const s = state([policy('prod', 'p', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }] }] })]);
  assert.ok(allowed(s, tcp(client, web, 8080)));
  assert.equal(allowed(s, tcp(client, web, 80)), false);
  assert.ok(allowed(s, { src: ipOf(client), dst: ipOf(web), proto: 'udp', port: 5353 }));
  assert.equal(allowed(s, tcp(client, web, 5353)), false, 'dns is a UDP port');
  assert.equal(allowed(s, tcp(client, db, 8080)), false, 'db has no port named http');
});

test('egress: default deny, named ports of peer pods, and DNS needing its own allow', () => {
  const deny = state([policy('prod', 'deny', { podSelector: {}, policyTypes: ['Egress'] })]);
  assert.equal(allowed(deny, tcp(web, client, 80)), false);
  assert.equal(allowed(deny, { src: ipOf(web), dst: '10.244.1.99', proto: 'udp', port: 53 }), false);
  assert.ok(allowed(deny, tcp(client, web, 80)), 'ingress to web is still open');

  const s = state([
    policy('prod', 'p', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ port: 'http' }] },
        { to: [{ ipBlock: { cidr: '10.244.1.99/32' } }], ports: [{ port: 53, protocol: 'UDP' }] },
      ],
    }),
  ]);
  assert.ok(allowed(s, tcp(web, opsTool, 9090)), "ops/tool's port named http");
  assert.equal(allowed(s, tcp(web, opsTool, 8080)), false);
  assert.equal(allowed(s, tcp(web, client, 8080)), false, 'client is not a peer');
  assert.ok(allowed(s, { src: ipOf(web), dst: '10.244.1.99', proto: 'udp', port: 53 }));
  assert.equal(allowed(s, { src: ipOf(web), dst: '10.244.1.99', proto: 'tcp', port: 53 }), false);
});

test('policies add up: a pod selected by two policies gets the union of their rules', () => {
  const s = state([
    policy('prod', 'a', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }),
    policy('prod', 'b', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'other' } } }], ports: [{ port: 443 }] }] }),
  ]);
  assert.ok(allowed(s, tcp(client, web, 1)));
  assert.ok(allowed(s, tcp(other, web, 443)));
  assert.equal(allowed(s, tcp(other, web, 80)), false);
  assert.equal(allowed(s, tcp(client, db, 1)), false, 'db only has policy b');
  // Pods isolated by the same list of policies share one chain.
  const groups = [...s.chains.keys()].filter((c) => c.startsWith('pods-'));
  assert.equal(groups.length, 2);
  // An empty rule ({}) allows everything; an empty list allows nothing.
  const open = state([policy('prod', 'open', { podSelector: {}, ingress: [{}] })]);
  assert.ok(allowed(open, tcp('1.2.3.4', web, 1)));
  const closed = state([policy('prod', 'closed', { podSelector: {}, ingress: [] })]);
  assert.equal(allowed(closed, tcp(client, web, 1)), false);
});

test('host-network and finished pods are neither isolated nor peers', () => {
  const hostPod = pod('prod', 'host', { app: 'web' }, '172.18.0.2', { hostNetwork: true });
  const done = pod('prod', 'done', { app: 'client' }, '10.244.0.50', { phase: 'Succeeded' });
  const s = buildNetpolState({
    policies: [policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] })],
    pods: [...pods, hostPod, done],
    namespaces,
    nodeName: NODE,
  });
  assert.deepEqual([...s.sets.get(INGRESS_PODS)!.elements.keys()], ['10.244.0.10']);
  assert.equal(allowed(s, tcp('10.244.0.50', web, 80)), false);
});
