// NetworkPolicy enforcement end to end on a two-node cluster: busybox pods serving their own
// name over HTTP (8080, named "http", and 9090, named "alt"), probed from other pods with
// kubectl exec + wget against pod IPs. Each case applies policies, polls until the whole
// connectivity matrix is as expected, then deletes them and polls until everything is open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
let node1 = '';
let node2 = '';
const ip: Record<string, string> = {};

// srv, a: node 1; b, s, o: node 2. a and b are clients, s a stranger, o lives in another namespace.
const PODS: { name: string; ns: string; app: string; node: () => string }[] = [
  { name: 'srv', ns: 'np', app: 'srv', node: () => node1 },
  { name: 'a', ns: 'np', app: 'client', node: () => node1 },
  { name: 'b', ns: 'np', app: 'client', node: () => node2 },
  { name: 's', ns: 'np', app: 'stranger', node: () => node2 },
  { name: 'o', ns: 'other', app: 'client', node: () => node2 },
];
const nsOf = (pod: string) => PODS.find((p) => p.name === pod)!.ns;

function podManifest(p: (typeof PODS)[number]): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${p.name}, namespace: ${p.ns}, labels: { app: ${p.app} } }
spec:
  nodeName: ${p.node()}
  containers:
  - name: web
    image: busybox
    command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && httpd -p 9090 -h /www && exec httpd -f -p 8080 -h /www']
    ports: [{ name: http, containerPort: 8080 }, { name: alt, containerPort: 9090 }]
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
`;
}

before(async () => {
  c = await startCluster('np', { nodes: 2 });
  node1 = `${c.name}-node-1`;
  node2 = `${c.name}-node-2`;
  await c.ok(['create', 'namespace', 'np']);
  await c.ok(['create', 'namespace', 'other']);
  await c.ok(['label', 'namespace', 'other', 'team=b']);
  await c.ok(['apply', '-f', '-'], PODS.map(podManifest).join('---'));
  for (const ns of ['np', 'other']) await c.ok(['wait', '-n', ns, '--for=condition=Ready', 'pod', '--all', '--timeout=90s']);
  for (const p of PODS) ip[p.name] = (await c.ok(['get', 'pod', '-n', p.ns, p.name, '-o', 'jsonpath={.status.podIP}'])).trim();
  assert.match(ip.srv, /^10\.244\.0\./);
  assert.match(ip.b, /^10\.244\.1\./);
});
after(async () => {
  await c?.down();
});

/** Whether `from` can open a connection to `to`'s port and read its page. */
async function reaches(from: string, to: string, port = 8080): Promise<boolean> {
  // A dropped SYN leaves wget waiting, so `timeout` ends it (busybox 1.35's wget -T crashes).
  const r = await c.kubectl(['exec', '-n', nsOf(from), from, '--', 'timeout', '2', 'wget', '-q', '-O', '-', `http://${ip[to]}:${port}/`], { timeoutMs: 20_000 });
  if (r.code === 0) {
    assert.equal(r.stdout.trim(), to, `${from} -> ${to}:${port} answered by the wrong pod`);
    return true;
  }
  // Anything but the probe failing inside the pod (exec itself failing) is a broken test.
  assert.match(r.stderr, /command terminated with exit code/, `kubectl exec ${from}: ${r.stderr}`);
  return false;
}

type Probe = [from: string, to: string, port: number, open: boolean];

async function expectMatrix(what: string, probes: Probe[]): Promise<void> {
  let last = '';
  await waitFor(
    what,
    async () => {
      const got = await Promise.all(probes.map(([f, t, port]) => reaches(f, t, port)));
      last = probes.map(([f, t, port], i) => `${f}->${t}:${port} ${got[i] ? 'open' : 'blocked'}`).join(', ');
      return got.every((g, i) => g === probes[i][3]);
    },
    45_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last seen: ${last}`);
  });
}

async function withPolicies(yaml: string, expected: Probe[], what: string): Promise<void> {
  await c.ok(['apply', '-f', '-'], yaml);
  await expectMatrix(what, expected);
  await c.ok(['delete', '-f', '-', '--wait=true'], yaml);
  // Deleting the policy restores traffic for everyone.
  await expectMatrix(`${what}, after deleting it`, expected.map(([f, t, p]) => [f, t, p, true] as Probe));
}

const policy = (name: string, ns: string, spec: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ${name}, namespace: ${ns} }
spec:
${spec}
`;

test('without policies every pod reaches every other, on one node and across nodes', async () => {
  await expectMatrix('open cluster', [
    ['a', 'srv', 8080, true],
    ['b', 'srv', 8080, true],
    ['o', 'srv', 9090, true],
    ['srv', 'b', 8080, true],
  ]);
});

test('default-deny ingress blocks same-node and cross-node traffic to the namespace, not from it', async () => {
  await withPolicies(
    policy('deny', 'np', `  podSelector: {}\n  policyTypes: [Ingress]`),
    [
      ['a', 'srv', 8080, false],
      ['b', 'srv', 8080, false],
      ['o', 'srv', 8080, false],
      ['srv', 'o', 8080, true],
    ],
    'default-deny ingress',
  );
});

test('an allow rule by podSelector opens the server to exactly those pods', async () => {
  const yaml =
    policy('deny', 'np', `  podSelector: {}\n  policyTypes: [Ingress]`) +
    '---' +
    policy('allow-clients', 'np', `  podSelector: { matchLabels: { app: srv } }\n  ingress:\n  - from: [{ podSelector: { matchLabels: { app: client } } }]`);
  await withPolicies(
    yaml,
    [
      ['a', 'srv', 8080, true],
      ['b', 'srv', 8080, true],
      ['s', 'srv', 8080, false],
      ['o', 'srv', 8080, false], // app=client, but in another namespace
      ['srv', 'a', 8080, false], // a is still under default deny
    ],
    'podSelector allow',
  );
});

test('namespaceSelector admits the pods of the labelled namespace', async () => {
  await withPolicies(
    policy('from-team-b', 'np', `  podSelector: { matchLabels: { app: srv } }\n  ingress:\n  - from: [{ namespaceSelector: { matchLabels: { team: b } } }]`),
    [
      ['o', 'srv', 8080, true],
      ['a', 'srv', 8080, false],
      ['b', 'srv', 8080, false],
    ],
    'namespaceSelector allow',
  );
});

test('ipBlock with except', async () => {
  const node2Pods = ip.b.replace(/\.\d+$/, '.0/24');
  await withPolicies(
    policy('from-node2', 'np', `  podSelector: { matchLabels: { app: srv } }\n  ingress:\n  - from: [{ ipBlock: { cidr: ${node2Pods}, except: [${ip.b}/32] } }]`),
    [
      ['s', 'srv', 8080, true],
      ['o', 'srv', 8080, true],
      ['b', 'srv', 8080, false],
      ['a', 'srv', 8080, false],
    ],
    'ipBlock allow',
  );
});

test('a port-limited allow (by port name) opens that port only', async () => {
  await withPolicies(
    policy('http-only', 'np', `  podSelector: { matchLabels: { app: srv } }\n  ingress:\n  - from: [{ podSelector: { matchLabels: { app: client } } }]\n    ports: [{ port: http }]`),
    [
      ['a', 'srv', 8080, true],
      ['b', 'srv', 8080, true],
      ['a', 'srv', 9090, false],
      ['b', 'srv', 9090, false],
    ],
    'named-port allow',
  );
  await withPolicies(
    policy('alt-only', 'np', `  podSelector: { matchLabels: { app: srv } }\n  ingress:\n  - ports: [{ port: 9000, endPort: 9100, protocol: TCP }]`),
    [
      ['s', 'srv', 9090, true],
      ['s', 'srv', 8080, false],
    ],
    'port-range allow',
  );
});

test('default-deny egress blocks the connections a pod opens, and an egress allow reopens one', async () => {
  await withPolicies(
    policy('no-egress', 'np', `  podSelector: { matchLabels: { app: client } }\n  policyTypes: [Egress]`),
    [
      ['a', 'srv', 8080, false],
      ['b', 'srv', 8080, false],
      ['b', 's', 8080, false], // same node
      ['s', 'srv', 8080, true],
      ['srv', 'a', 8080, true], // ingress to a is not restricted
    ],
    'default-deny egress',
  );
  await withPolicies(
    policy('egress-to-srv', 'np', `  podSelector: { matchLabels: { app: client } }\n  policyTypes: [Egress]\n  egress:\n  - to: [{ podSelector: { matchLabels: { app: srv } } }]\n    ports: [{ port: alt }]`),
    [
      ['b', 'srv', 9090, true],
      ['b', 'srv', 8080, false],
      ['a', 's', 8080, false],
    ],
    'egress allow to a named port',
  );
});
