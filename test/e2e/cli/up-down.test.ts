// `skiff up/status/stop/down/kubeconfig` through bin/skiff.js, with the real control plane.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { findServeProcesses, isServeProcess, readPidFile } from '../../../src/cli/control-plane-process.js';
import { clusterPaths, readClusterConfig } from '../../../src/cluster/home.js';

const bin = fileURLToPath(new URL('../../../../bin/skiff.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'skiff-up-test-'));
const kubeconfig = join(home, 'kube', 'config');

const OTHER = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://10.0.0.1:6443
contexts:
- name: other
  context:
    cluster: other
    user: other
current-context: other
users:
- name: other
  user:
    token: other-token
`;

function skiff(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SKIFF_HOME: home, KUBECONFIG: kubeconfig, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

after(() => {
  for (const name of ['one', 'two', 'broken']) skiff(['down', '--name', name]);
  // Whatever a failed assertion left running in this temporary home was started by this file.
  for (const name of ['one', 'two', 'broken']) for (const pid of findServeProcesses(home, name)) process.kill(pid, 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

function readyz(port: number, ca: string, token?: string, path = '/readyz'): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    get({ host: '127.0.0.1', port, path, ca, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

type Named = { name: string; [k: string]: unknown };
function kubeconfigNow() {
  return parse(readFileSync(kubeconfig, 'utf8'), { version: '1.1' }) as { contexts: Named[]; clusters: Named[]; users: Named[]; 'current-context': string };
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

test('up creates the cluster, starts its control plane and makes it the current context', async () => {
  const r = skiff(['up', '--name', 'one', '--nodes', '2', '--egress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  const paths = clusterPaths(home, 'one');
  const config = readClusterConfig(paths)!;
  // One line per step, as kind prints them, each with the time since `up` started.
  const url = `https://127.0.0.1:${config.port}`.replace(/\./g, '\\.');
  assert.match(
    r.stdout,
    new RegExp(
      `^Creating cluster "one" \\.\\.\\.\\n` +
        ` ✓ Control plane \\(\\d+\\.\\d\\ds\\): API at ${url}\\n` +
        ` ✓ Nodes \\(\\d+\\.\\d\\ds\\): 2 of 2 Ready\\n` +
        ` ✓ Cluster DNS \\(\\d+\\.\\d\\ds\\): kubernetes\\.default answers 10\\.96\\.0\\.1 from 10\\.96\\.0\\.10\\n` +
        ` ✓ Ingress controller \\(\\d+\\.\\d\\ds\\): http://127\\.0\\.10\\.\\d+/ answers 404\\n` +
        `Cluster "one" is running at ${url}\\nkubectl context: skiff-one \\(set as current context\\)\\n$`,
    ),
  );
  assert.equal(config.name, 'one');
  assert.equal(config.nodes, 2);
  assert.equal(config.egress, 'none');
  assert.ok(!Number.isNaN(Date.parse(config.created)));
  assert.notEqual(config.port, 6443, 'only the default cluster asks for 6443');

  const pid = readPidFile(paths)!;
  assert.ok(isServeProcess(pid, home, 'one'), 'the recorded pid is the control plane');
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  assert.match(cmdline, /skiff/);

  const ca = readFileSync(paths.caCert, 'utf8');
  const token = readFileSync(paths.token, 'utf8').trim();
  assert.equal(statSync(paths.token).mode & 0o777, 0o600);
  assert.equal(statSync(paths.caKey).mode & 0o777, 0o600);
  assert.equal(await readyz(config.port, ca, token), 200);
  assert.equal(await readyz(config.port, ca, undefined, '/api'), 401, 'the API requires the token');
  assert.equal(await readyz(config.port, ca, token, '/api'), 200);
  assert.ok(statSync(paths.socket).isSocket());

  const kc = kubeconfigNow();
  assert.equal(kc['current-context'], 'skiff-one');
  assert.deepEqual(kc.contexts.map((c) => c.name), ['skiff-one']);
});

test('up of a running cluster says so, keeps the same process and exits 0', () => {
  const pid = readPidFile(clusterPaths(home, 'one'));
  const r = skiff(['up', '--name', 'one']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^ ✓ Control plane \(\d+\.\d\ds\): already running at https:\/\/127\.0\.0\.1:\d+\n ✓ Nodes .*\n ✓ Cluster DNS .*\n ✓ Ingress controller .*\nCluster "one" is already running at https:\/\/127\.0\.0\.1:\d+\nkubectl context: skiff-one \(set as current context\)\n$/,
  );
  assert.equal(readPidFile(clusterPaths(home, 'one')), pid);
  assert.deepEqual(findServeProcesses(home, 'one'), [pid]);
});

test('a second cluster runs side by side, on its own port, and other kubeconfig entries survive', async () => {
  writeFileSync(kubeconfig, OTHER);
  const r = skiff(['up', '--name', 'two']);
  assert.equal(r.code, 0, r.stderr);
  const one = readClusterConfig(clusterPaths(home, 'one'))!;
  const two = readClusterConfig(clusterPaths(home, 'two'))!;
  assert.notEqual(one.port, two.port);
  for (const [name, c] of [['one', one], ['two', two]] as const) {
    const p = clusterPaths(home, name);
    assert.equal(await readyz(c.port, readFileSync(p.caCert, 'utf8'), readFileSync(p.token, 'utf8').trim()), 200, name);
  }
  const kc = kubeconfigNow();
  assert.equal(kc['current-context'], 'skiff-two');
  assert.deepEqual(kc.contexts.map((c) => c.name).sort(), ['other', 'skiff-two']);
  assert.equal(kc.users.find((u) => u.name === 'other')!.user !== undefined, true);
});

test('kubectl talks to the cluster with the merged kubeconfig and with `skiff kubeconfig`', { skip: !kubectl && 'kubectl not installed' }, () => {
  const viaMerged = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { encoding: 'utf8' });
  assert.equal(viaMerged.status, 0, viaMerged.stderr);
  assert.equal(viaMerged.stdout, 'ok');
  const standalone = join(home, 'one.kubeconfig');
  const printed = skiff(['kubeconfig', '--name', 'one']);
  assert.equal(printed.code, 0, printed.stderr);
  writeFileSync(standalone, printed.stdout);
  const viaPrinted = spawnSync('kubectl', ['--kubeconfig', standalone, 'get', '--raw', '/readyz'], { encoding: 'utf8' });
  assert.equal(viaPrinted.status, 0, viaPrinted.stderr);
  const ctx = spawnSync('kubectl', ['--kubeconfig', standalone, 'config', 'current-context'], { encoding: 'utf8' });
  assert.equal(ctx.stdout.trim(), 'skiff-one');
});

test('status: running with address, pid and uptime; exit 1 for a cluster that does not exist', () => {
  const r = skiff(['status', '--name', 'one']);
  assert.equal(r.code, 0, r.stderr);
  const pid = readPidFile(clusterPaths(home, 'one'));
  const port = readClusterConfig(clusterPaths(home, 'one'))!.port;
  assert.match(r.stdout, new RegExp(`^Cluster "one" is running\\n  address: https://127\\.0\\.0\\.1:${port}\\n  pid:     ${pid}\\n  uptime:  \\d+[smhd]`));
  const missing = skiff(['status', '--name', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ERROR: reading the status of cluster "nope": no such cluster/);
});

test('stop ends the control plane and keeps the state; up resumes it on the same port', async () => {
  const paths = clusterPaths(home, 'one');
  const before = readClusterConfig(paths)!;
  const pid = readPidFile(paths)!;
  const stop = skiff(['stop', '--name', 'one']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, 'Stopped cluster "one"\n');
  assert.equal(isServeProcess(pid, home, 'one'), false);
  assert.equal(existsSync(paths.caCert) && existsSync(paths.token) && existsSync(paths.stateDir), true);
  assert.match(skiff(['status', '--name', 'one']).stdout, /^Cluster "one" is stopped\n/);
  assert.equal(skiff(['stop', '--name', 'one']).stdout, 'Cluster "one" is not running\n');
  const log = readFileSync(paths.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(log.map((l) => l.msg), ['control plane started', 'control plane stopping', 'control plane stopped']);

  const up = skiff(['up', '--name', 'one']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`\\nCluster "one" is running at https://127\\.0\\.0\\.1:${before.port}\\n`));
  assert.deepEqual(readClusterConfig(paths), before);
  const p = clusterPaths(home, 'one');
  assert.equal(await readyz(before.port, readFileSync(p.caCert, 'utf8'), readFileSync(p.token, 'utf8').trim()), 200);
});

test('flags that describe the cluster are refused on an existing cluster with other values', () => {
  const r = skiff(['up', '--name', 'one', '--nodes', '3']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ERROR: starting cluster "one": the cluster already exists with --nodes 2; .*skiff down --name one/);
});

test('a cluster name is machine-wide: up of the same name from another home is refused, and down there leaves the running one alone', async () => {
  const otherHome = mkdtempSync(join(tmpdir(), 'skiff-up-test-other-'));
  try {
    const env = { SKIFF_HOME: otherHome, KUBECONFIG: join(otherHome, 'kubeconfig') };
    const up = skiff(['up', '--name', 'one'], env);
    assert.equal(up.code, 1);
    assert.match(up.stderr, new RegExp(`^ERROR: starting cluster "one": a cluster named "one" already runs on this machine from SKIFF_HOME=${home}; cluster names are machine-wide .*: choose another --name\n$`));
    assert.equal(existsSync(clusterPaths(otherHome, 'one').dir), false);
    const down = skiff(['down', '--name', 'one'], env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /^No cluster "one" in .*; the one of that name running from SKIFF_HOME=.* is left as it is\n$/);
    const one = readClusterConfig(clusterPaths(home, 'one'))!;
    const p = clusterPaths(home, 'one');
    assert.equal(await readyz(one.port, readFileSync(p.caCert, 'utf8'), readFileSync(p.token, 'utf8').trim()), 200);
    assert.equal(skiff(['status', '--name', 'one']).code, 0);
    assert.ok(existsSync('/run/netns/skiff.one.n1'), "the running cluster's node namespace stays");
  } finally {
    rmSync(otherHome, { recursive: true, force: true });
  }
});

test('a control plane that fails to start: up fails at once with the log tail and leaves nothing running', () => {
  assert.equal(skiff(['up', '--name', 'broken']).code, 0);
  assert.equal(skiff(['stop', '--name', 'broken']).code, 0);
  writeFileSync(join(clusterPaths(home, 'broken').stateDir, 'state.db'), 'this is not a database'.repeat(100));
  const r = skiff(['up', '--name', 'broken']);
  assert.equal(r.code, 1);
  // Its words are the control plane's exit, not the readiness time-out's.
  assert.match(r.stderr, /^ERROR: starting cluster "broken": the control plane exited \(code 1\) before it was ready\nlast lines of .*control-plane\.log:\n.*file is not a database/);
  assert.deepEqual(findServeProcesses(home, 'broken'), []);
  assert.equal(readPidFile(clusterPaths(home, 'broken')), undefined);
  assert.equal(skiff(['down', '--name', 'broken']).code, 0);
  assert.equal(kubeconfigNow().contexts.some((c) => c.name === 'skiff-broken'), false);
});

test('down deletes the cluster and its kubeconfig entries and keeps the others; down again succeeds', () => {
  const pid = readPidFile(clusterPaths(home, 'two'))!;
  assert.equal(skiff(['up', '--name', 'two']).code, 0, 'up again makes skiff-two the current context');
  const r = skiff(['down', '--name', 'two']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Deleting cluster "two" ...\n');
  assert.equal(isServeProcess(pid, home, 'two'), false);
  assert.equal(existsSync(clusterPaths(home, 'two').dir), false);
  const kc = kubeconfigNow();
  for (const list of [kc.contexts, kc.clusters, kc.users]) assert.deepEqual(list.map((c) => c.name), ['other', 'skiff-one']);
  assert.equal(kc['current-context'], '');
  const again = skiff(['down', '--name', 'two']);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(existsSync(clusterPaths(home, 'one').dir), 'the other cluster is untouched');
});

test('usage errors exit 2 with the usage on stderr', () => {
  for (const args of [['frobnicate'], ['up', '--bogus'], ['status', '--name']]) {
    const r = skiff(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /\n\nUsage: skiff <command> \[flags\]/);
  }
});
