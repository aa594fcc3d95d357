import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { connectionAllowed, policyTable } from '../../../../src/api/networkpolicy/verdict.js';
import { buildNetpolState } from '../../../../src/node/networkpolicy/rules.js';
import { allowed } from '../../node/networkpolicy/evaluate.js';
import { namespace, pod, policy } from '../../node/networkpolicy/fixtures.js';

// The verdict the mesh's node proxy reaches for a connection it makes on a pod's behalf must be
// the one the nodes reach for the same connection forwarded in the kernel: the source's node
// checks its egress, the destination's node its ingress (src/node/networkpolicy).

const web = pod('prod', 'web', { app: 'web' }, '10.244.0.10', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
const db = pod('prod', 'db', { app: 'db' }, '10.244.0.11');
const client = pod('prod', 'client', { app: 'client', role: 'frontend' }, '10.244.1.20', { node: 'n2' });
const other = pod('prod', 'other', { app: 'other' }, '10.244.1.21', { node: 'n2' });
const devClient = pod('dev', 'client', { app: 'client' }, '10.244.1.30', { node: 'n2' });
const opsTool = pod('ops', 'tool', { app: 'tool' }, '10.244.1.40', { node: 'n2', ports: [{ name: 'http', containerPort: 9090 }] });
const namespaces = [namespace('prod', { env: 'prod' }), namespace('dev', { env: 'dev' }), namespace('ops', { team: 'ops' })];
const pods = [web, db, client, other, devClient, opsTool];
const ipOf = (p: KObject) => (p.status as { podIP: string }).podIP;
const nodeOf = (ip: string) => (pods.find((p) => ipOf(p) === ip)?.spec as { nodeName?: string } | undefined)?.nodeName;

const POLICIES: Record<string, KObject[]> = {
  'default-deny ingress': [policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })],
  'default-deny egress': [policy('prod', 'deny', { podSelector: {}, policyTypes: ['Egress'] })],
  'podSelector peer': [policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] })],
  'namespaceSelector with podSelector': [
    policy('prod', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, podSelector: { matchLabels: { app: 'client' } } }] }] }),
  ],
  'ipBlock with except': [policy('prod', 'p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.244.1.0/24', except: ['10.244.1.32/27', '10.244.1.21/32'] } }] }] })],
  'ports and ranges': [policy('prod', 'p', { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8010 }, { protocol: 'UDP' }] }] })],
  'named ports': [policy('prod', 'p', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }] }] })],
  'egress to peers by named port and block': [
    policy('prod', 'p', {
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] },
        { to: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] },
        { to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ port: 443 }] },
      ],
    }),
  ],
  'both directions, two policies': [
    policy('prod', 'web-in', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 8080 }] }] }),
    policy('prod', 'client-out', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }),
    policy('dev', 'closed', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [{}] }),
  ],
};

test('the mesh decides every TCP connection as the nodes do, for each set of policies', () => {
  const addresses = [...pods.map(ipOf), '192.0.2.7', '10.96.0.10'];
  for (const [name, policies] of Object.entries(POLICIES)) {
    const table = policyTable(policies, pods, namespaces);
    assert.ok(table, name);
    const nodes = new Map(['n1', 'n2'].map((n) => [n, buildNetpolState({ policies, pods, namespaces, nodeName: n })]));
    for (const src of pods.map(ipOf)) {
      for (const dst of addresses) {
        for (const port of [80, 443, 5353, 8005, 8080, 9090]) {
          const p = { src, dst, proto: 'tcp' as const, port };
          const dstNode = nodeOf(dst);
          const kernel = allowed(nodes.get(nodeOf(src)!)!, p) && (!dstNode || allowed(nodes.get(dstNode)!, p));
          assert.equal(connectionAllowed(table, src, dst, 'tcp', port), kernel, `${name}: ${src} -> ${dst}:${port}`);
        }
      }
    }
  }
});

test('no table without a policy that isolates a pod; a host name passes only rules without peers', () => {
  assert.equal(policyTable([], pods, namespaces), undefined);
  assert.equal(policyTable([policy('nowhere', 'p', { podSelector: {} })], pods, namespaces), undefined);
  const table = policyTable(POLICIES['egress to peers by named port and block']!, pods, namespaces)!;
  assert.equal(connectionAllowed(table, ipOf(client), 'api.example.test', 'tcp', 443), false);
  const open = policyTable([policy('prod', 'p', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 443 }] }] })], pods, namespaces)!;
  assert.ok(connectionAllowed(open, ipOf(client), 'api.example.test', 'tcp', 443));
  assert.equal(connectionAllowed(open, ipOf(client), 'api.example.test', 'tcp', 80), false);
});

test("a pod reaches its own node whatever its egress policies say, as on the node; other nodes only as they allow", () => {
  const onNode = { ...client, status: { ...(client.status as object), hostIP: '172.18.0.3' } } as KObject;
  const table = policyTable([policy('prod', 'deny', { podSelector: {}, policyTypes: ['Egress'] })], [onNode, web], namespaces)!;
  assert.deepEqual(table.nodes, { '10.244.1.20': '172.18.0.3' });
  assert.ok(connectionAllowed(table, ipOf(client), '172.18.0.3', 'tcp', 6443));
  assert.equal(connectionAllowed(table, ipOf(client), '172.18.0.2', 'tcp', 6443), false);
  assert.equal(connectionAllowed(table, ipOf(client), ipOf(web), 'tcp', 8080), false);
});
