import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync, chmodSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  editKubeconfigFile,
  kubeconfigPath,
  mergeKubeconfig,
  removeFromKubeconfig,
  removeKubeconfigEntry,
  standaloneKubeconfig,
  writeKubeconfigEntry,
  type KubeconfigEntry,
} from '../../../src/cli/kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const entry: KubeconfigEntry = { name: 'skiff', server: 'https://127.0.0.1:6443', caCertPem: CA, token: 'secret-token' };

// A kubeconfig as a user has it: another cluster (kind), a comment, a YAML 1.1 trap ("yes").
const SAMPLE = `apiVersion: v1
# my clusters
clusters:
- cluster:
    certificate-authority-data: QUJD
    server: https://127.0.0.1:40000
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    namespace: "yes"
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: REVG
    client-key-data: R0hJ
`;

type Named = { name: string; [k: string]: unknown };
interface Config {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  'current-context': string;
  [k: string]: unknown;
}
const load = (text: string) => parse(text, { version: '1.1' }) as Config;
const names = (list: Named[]) => list.map((e) => e.name).sort();

test('merge adds cluster, user and context, makes it current and keeps the other entries', () => {
  const out = load(mergeKubeconfig(SAMPLE, entry));
  assert.deepEqual(names(out.clusters), ['kind-kind', 'skiff']);
  assert.deepEqual(names(out.users), ['kind-kind', 'skiff']);
  assert.deepEqual(names(out.contexts), ['kind-kind', 'skiff']);
  assert.equal(out['current-context'], 'skiff');
  assert.deepEqual(out.clusters.find((c) => c.name === 'skiff'), {
    name: 'skiff',
    cluster: { 'certificate-authority-data': Buffer.from(CA).toString('base64'), server: 'https://127.0.0.1:6443' },
  });
  assert.deepEqual(out.users.find((u) => u.name === 'skiff'), { name: 'skiff', user: { token: 'secret-token' } });
  assert.deepEqual(out.contexts.find((c) => c.name === 'skiff'), { name: 'skiff', context: { cluster: 'skiff', user: 'skiff' } });
  const before = load(SAMPLE);
  assert.deepEqual(out.clusters.find((c) => c.name === 'kind-kind'), before.clusters[0]);
  assert.deepEqual(out.users.find((c) => c.name === 'kind-kind'), before.users[0]);
  assert.deepEqual(out.contexts.find((c) => c.name === 'kind-kind'), before.contexts[0]);
  assert.deepEqual(out.preferences, {});
});

test('merge keeps comments and quoting of the entries it does not own', () => {
  const text = mergeKubeconfig(SAMPLE, entry);
  assert.match(text, /# my clusters/);
  assert.match(text, /namespace: "yes"/);
});

test('merging again replaces the entries instead of duplicating them', () => {
  const once = mergeKubeconfig(SAMPLE, entry);
  const twice = mergeKubeconfig(once, { ...entry, server: 'https://127.0.0.1:7000', token: 't2' });
  const out = load(twice);
  assert.equal(out.clusters.length, 2);
  assert.equal(out.users.length, 2);
  assert.equal(out.contexts.length, 2);
  assert.equal((out.clusters.find((c) => c.name === 'skiff')!.cluster as { server: string }).server, 'https://127.0.0.1:7000');
  assert.equal(mergeKubeconfig(twice, { ...entry, server: 'https://127.0.0.1:7000', token: 't2' }), twice);
});

test('merge into an empty file or one with null lists', () => {
  const fromEmpty = load(mergeKubeconfig('', entry));
  assert.equal(fromEmpty.apiVersion, 'v1');
  assert.equal(fromEmpty.kind, 'Config');
  assert.deepEqual(names(fromEmpty.contexts), ['skiff']);
  const fromNulls = load(mergeKubeconfig('apiVersion: v1\nkind: Config\nclusters: null\ncontexts:\nusers: []\n', entry));
  assert.deepEqual(names(fromNulls.clusters), ['skiff']);
  assert.deepEqual(names(fromNulls.contexts), ['skiff']);
  assert.deepEqual(names(fromNulls.users), ['skiff']);
});

test('merge refuses a file that is not a kubeconfig, saying what it was doing', () => {
  assert.throws(() => mergeKubeconfig('clusters: [unclosed', entry), /adding "skiff" to the kubeconfig: invalid YAML/);
  assert.throws(() => mergeKubeconfig('- a\n- b\n', entry), /not a mapping/);
  assert.throws(() => mergeKubeconfig('clusters: 3\n', entry), /"clusters" is not a list/);
});

test('removal takes out only this cluster\'s entries and unsets current-context when it pointed there', () => {
  const merged = mergeKubeconfig(SAMPLE, { ...entry, name: 'skiff-dev' });
  const text = removeFromKubeconfig(merged, 'skiff-dev');
  const out = load(text);
  assert.deepEqual(names(out.clusters), ['kind-kind']);
  assert.deepEqual(names(out.users), ['kind-kind']);
  assert.deepEqual(names(out.contexts), ['kind-kind']);
  assert.equal(out['current-context'], '');
  assert.deepEqual(out.users, load(SAMPLE).users);
  assert.match(text, /namespace: "yes"/);
});

test('removal keeps current-context when it points at another cluster', () => {
  const merged = mergeKubeconfig(SAMPLE, entry);
  const switched = merged.replace('current-context: skiff', 'current-context: kind-kind');
  const out = load(removeFromKubeconfig(switched, 'skiff'));
  assert.equal(out['current-context'], 'kind-kind');
  assert.deepEqual(names(out.contexts), ['kind-kind']);
});

test('removal of a cluster that is not there changes nothing', () => {
  assert.deepEqual(load(removeFromKubeconfig(SAMPLE, 'skiff')), load(SAMPLE));
});

test('the standalone kubeconfig holds just this cluster, current, in kubectl\'s key order', () => {
  const text = standaloneKubeconfig(entry);
  const out = load(text);
  assert.deepEqual(Object.keys(out), ['apiVersion', 'clusters', 'contexts', 'current-context', 'kind', 'preferences', 'users']);
  assert.equal(out['current-context'], 'skiff');
  assert.deepEqual(names(out.clusters), ['skiff']);
});

test('kubeconfigPath: first entry of $KUBECONFIG, else ~/.kube/config', () => {
  assert.equal(kubeconfigPath({ KUBECONFIG: '/a/one:/b/two' }), '/a/one');
  assert.equal(kubeconfigPath({ KUBECONFIG: '::/c/three' }), '/c/three');
  assert.equal(kubeconfigPath({}), join(homedir(), '.kube', 'config'));
});

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-test-'));
  tempDirs.push(d);
  return d;
}

test('a missing kubeconfig is created with mode 0600, and its directory too', () => {
  const path = join(tempDir(), 'nested', 'config');
  writeKubeconfigEntry(path, entry);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(names(load(readFileSync(path, 'utf8')).contexts), ['skiff']);
  assert.deepEqual(readdirSync(join(path, '..')), ['config'], 'no lock or temporary file is left behind');
});

test('editing an existing kubeconfig keeps its mode and keeps a symlink a symlink', () => {
  const dir = tempDir();
  const real = join(dir, 'real-config');
  writeFileSync(real, SAMPLE);
  chmodSync(real, 0o640);
  const link = join(dir, 'config');
  symlinkSync(real, link);
  writeKubeconfigEntry(link, entry);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(statSync(real).mode & 0o777, 0o640);
  assert.deepEqual(names(load(readFileSync(real, 'utf8')).contexts), ['kind-kind', 'skiff']);
  removeKubeconfigEntry(link, 'skiff');
  assert.deepEqual(load(readFileSync(real, 'utf8')), { ...load(SAMPLE), 'current-context': '' });
});

test('removing from a kubeconfig that does not exist does not create one', () => {
  const path = join(tempDir(), 'config');
  removeKubeconfigEntry(path, 'skiff');
  assert.equal(existsSync(path), false);
});

test('errors name the file and the context', () => {
  const path = join(tempDir(), 'config');
  writeFileSync(path, 'clusters: [unclosed');
  assert.throws(() => writeKubeconfigEntry(path, entry), new RegExp(`writing context "skiff" to kubeconfig ${path}: `));
  assert.throws(() => editKubeconfigFile(path, () => { throw new Error('boom'); }), /boom/);
  assert.equal(existsSync(`${path}.lock`), false, 'the lock is released after an error');
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

test('kubectl reads the merged file: both contexts, ours current', { skip: !kubectl && 'kubectl not installed' }, () => {
  const path = join(tempDir(), 'config');
  writeFileSync(path, SAMPLE);
  writeKubeconfigEntry(path, entry);
  const r = spawnSync('kubectl', ['config', 'get-contexts', '-o', 'name', '--kubeconfig', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['kind-kind', 'skiff']);
  const cur = spawnSync('kubectl', ['config', 'current-context', '--kubeconfig', path], { encoding: 'utf8' });
  assert.equal(cur.stdout.trim(), 'skiff');
  const token = spawnSync('kubectl', ['config', 'view', '--raw', '--kubeconfig', path, '-o', 'jsonpath={.users[?(@.name=="skiff")].user.token}'], { encoding: 'utf8' });
  assert.equal(token.stdout, 'secret-token');
});
