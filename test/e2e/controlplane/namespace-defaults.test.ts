import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// Every active namespace gets the ServiceAccount `default` and the ConfigMap
// kube-root-ca.crt holding the cluster CA; both come back when deleted or edited.

let c: Cluster;
let ca: string;
before(async () => {
  c = await startCluster('nsdefaults');
  const data = await ok(['config', 'view', '--raw', '--minify', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}']);
  ca = Buffer.from(data.trim(), 'base64').toString('utf8');
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
});
after(async () => {
  await c?.down();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `-o jsonpath` output, or undefined while the object does not exist. */
async function jsonpath(kind: string, name: string, ns: string, path: string): Promise<string | undefined> {
  const r = await c.kubectl(['get', kind, name, '-n', ns, '-o', `jsonpath=${path}`]);
  if (r.code !== 0) {
    assert.match(r.stderr, /NotFound/, `kubectl get ${kind} ${name} -n ${ns}: ${r.stderr}`);
    return undefined;
  }
  return r.stdout;
}

const caIn = (ns: string) => jsonpath('configmap', 'kube-root-ca.crt', ns, '{.data.ca\\.crt}');
const uidOf = (kind: string, name: string, ns: string) => jsonpath(kind, name, ns, '{.metadata.uid}');

test('the namespaces that exist from the start have both', async () => {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await waitFor(`serviceaccount default in ${ns}`, async () => (await uidOf('serviceaccount', 'default', ns)) !== undefined);
    await waitFor(`kube-root-ca.crt in ${ns}`, async () => (await caIn(ns)) === ca);
  }
});

test('a new namespace gets ServiceAccount default and kube-root-ca.crt with the kubeconfig CA', async () => {
  assert.match(await ok(['create', 'ns', 'x']), /namespace\/x created/);
  await waitFor('default in kubectl get sa -n x', async () => /^default\s+0\s+\S+$/m.test(await ok(['get', 'sa', '-n', 'x'])));
  await waitFor('kube-root-ca.crt in x', async () => (await caIn('x')) === ca);
  const cm = JSON.parse(await ok(['get', 'cm', 'kube-root-ca.crt', '-n', 'x', '-o', 'json']));
  assert.deepEqual(Object.keys(cm.data), ['ca.crt']);
  assert.equal(
    cm.metadata.annotations['kubernetes.io/description'],
    'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
  );
  const sa = JSON.parse(await ok(['get', 'sa', 'default', '-n', 'x', '-o', 'json']));
  assert.equal(sa.kind, 'ServiceAccount');
  assert.equal(sa.metadata.namespace, 'x');
});

test('a deleted ServiceAccount default comes back as a new object', async () => {
  await waitFor('default in x', async () => (await uidOf('serviceaccount', 'default', 'x')) !== undefined);
  const before = await uidOf('serviceaccount', 'default', 'x');
  assert.match(await ok(['delete', 'sa', 'default', '-n', 'x']), /serviceaccount "default" deleted/);
  await waitFor('default recreated in x', async () => {
    const uid = await uidOf('serviceaccount', 'default', 'x');
    return uid !== undefined && uid !== before;
  });
});

test('a deleted kube-root-ca.crt comes back, and an edited one is restored', async () => {
  await waitFor('kube-root-ca.crt in x', async () => (await caIn('x')) === ca);
  const before = await uidOf('configmap', 'kube-root-ca.crt', 'x');
  assert.match(await ok(['delete', 'cm', 'kube-root-ca.crt', '-n', 'x']), /configmap "kube-root-ca.crt" deleted/);
  await waitFor('kube-root-ca.crt recreated in x', async () => {
    const uid = await uidOf('configmap', 'kube-root-ca.crt', 'x');
    return uid !== undefined && uid !== before && (await caIn('x')) === ca;
  });
  await ok(['patch', 'cm', 'kube-root-ca.crt', '-n', 'x', '--type=merge', '-p', '{"data":{"ca.crt":"tampered","extra":"1"}}']);
  await waitFor('kube-root-ca.crt restored in x', async () => {
    const cm = JSON.parse(await ok(['get', 'cm', 'kube-root-ca.crt', '-n', 'x', '-o', 'json']));
    return JSON.stringify(cm.data) === JSON.stringify({ 'ca.crt': ca });
  });
});

test('a terminating namespace is emptied and not refilled', async () => {
  await ok(['create', 'ns', 'y']);
  await waitFor('default in y', async () => (await uidOf('serviceaccount', 'default', 'y')) !== undefined);
  await waitFor('kube-root-ca.crt in y', async () => (await caIn('y')) === ca);
  // A finalizer on one ConfigMap holds the namespace in Terminating while we look.
  await ok(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hold, namespace: "y", finalizers: [example.com/hold]}\n');
  await ok(['delete', 'ns', 'y', '--wait=false']);
  await waitFor('only the held ConfigMap remaining in y', async () => {
    const msg = await ok(['get', 'ns', 'y', '-o', 'jsonpath={.status.conditions[?(@.type=="NamespaceContentRemaining")].message}']);
    return msg === 'Some resources are remaining: configmaps. has 1 resource instances';
  });
  assert.equal(await uidOf('serviceaccount', 'default', 'y'), undefined);
  assert.equal(await caIn('y'), undefined);
  await ok(['patch', 'cm', 'hold', '-n', 'y', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  await waitFor('namespace y gone', async () => (await c.kubectl(['get', 'ns', 'y'])).code !== 0);
});
