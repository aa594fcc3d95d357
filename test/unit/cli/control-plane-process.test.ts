import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { clusterPaths, writeClusterConfig } from '../../../src/cluster/home.js';
import {
  findServeProcesses,
  isServeCommandLine,
  serveCommandLineArgs,
  isServeProcess,
  serveArgs,
  stopServeProcess,
  writePidFile,
  SERVE_ARGV0,
} from '../../../src/cli/control-plane-process.js';
import { stopControlPlanes } from '../../../src/cli/commands/stop.js';
import { parseCommandLine } from '../../../src/cli/args.js';

const home = mkdtempSync(join(tmpdir(), 'skiff-pid-test-'));
// A stand-in for dist/src/cli/main.js at a path with the same shape: it only waits. With
// IGNORE_TERM set it survives SIGTERM, as a hung control plane would.
const entry = join(home, 'fake', 'cli', 'main.js');
mkdirSync(join(home, 'fake', 'cli'), { recursive: true });
writeFileSync(
  entry,
  `if (process.env.IGNORE_TERM) process.on('SIGTERM', () => {});\nsetInterval(() => {}, 1000);\nprocess.stdout.write('ready\\n');\n`,
);

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

async function startFake(name: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, serveArgs(home, name, [], entry), { argv0: SERVE_ARGV0, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  children.push(child);
  await once(child.stdout!, 'data'); // its signal handlers are installed
  return child;
}

/** The exit signal, also when the child exited before we asked. */
function exitSignal(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return once(child, 'exit').then(([, signal]) => signal as NodeJS.Signals | null);
}

async function startOther(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("ready\\n")'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout!, 'data');
  return child;
}

test('isServeCommandLine matches only `<…/cli/main.js> serve --name N --home H`', () => {
  const ok = ['skiff', '/opt/skiff/dist/src/cli/main.js', 'serve', '--name', 'dev', '--home', '/var/lib/skiff'];
  assert.equal(isServeCommandLine(ok, '/var/lib/skiff', 'dev'), true);
  assert.equal(isServeCommandLine(ok, '/var/lib/skiff', 'de'), false);
  assert.equal(isServeCommandLine(ok, '/tmp/other', 'dev'), false);
  assert.equal(isServeCommandLine(['node', '/x/other.js', 'serve', '--name', 'dev', '--home', '/var/lib/skiff'], '/var/lib/skiff', 'dev'), false);
  assert.equal(isServeCommandLine([...ok, '--extra'], '/var/lib/skiff', 'dev'), false);
  assert.equal(isServeCommandLine(['serve', '--name', 'dev', '--home', '/var/lib/skiff'], '/var/lib/skiff', 'dev'), false);
  const withArgs = ['node', ...serveArgs('/var/lib/skiff', 'dev', ['--horizontal-pod-autoscaler-sync-period=5s'], '/opt/skiff/dist/src/cli/main.js')];
  assert.deepEqual(withArgs.slice(-1), ['--kube-controller-manager-arg=--horizontal-pod-autoscaler-sync-period=5s']);
  assert.equal(isServeCommandLine(withArgs, '/var/lib/skiff', 'dev'), true);
  assert.deepEqual(serveCommandLineArgs(withArgs, '/var/lib/skiff', 'dev'), ['--horizontal-pod-autoscaler-sync-period=5s']);
  assert.deepEqual(serveCommandLineArgs(ok, '/var/lib/skiff', 'dev'), []);
  assert.equal(isServeCommandLine([...withArgs, '--other'], '/var/lib/skiff', 'dev'), false);
  // What up starts, serve reads back.
  assert.deepEqual(parseCommandLine(withArgs.slice(withArgs.indexOf('serve'))).flags, { name: 'dev', home: '/var/lib/skiff', controllerManagerArgs: ['--horizontal-pod-autoscaler-sync-period=5s'] });
});

test('a live control plane of this cluster is recognised by its pid, nothing else is', async () => {
  const fake = await startFake('alpha');
  const other = await startOther();
  assert.equal(isServeProcess(fake.pid!, home, 'alpha'), true);
  assert.equal(isServeProcess(fake.pid!, home, 'beta'), false, 'another cluster name');
  assert.equal(isServeProcess(fake.pid!, '/elsewhere', 'alpha'), false, 'another SKIFF_HOME');
  assert.equal(isServeProcess(other.pid!, home, 'alpha'), false, 'an unrelated process');
  assert.equal(isServeProcess(process.pid, home, 'alpha'), false, 'the test runner');
  assert.equal(isServeProcess(0x3fffffff, home, 'alpha'), false, 'a pid that does not exist');
  assert.equal(isServeProcess(-1, home, 'alpha'), false);
  assert.deepEqual(findServeProcesses(home, 'alpha'), [fake.pid]);
  const stopped = await stopServeProcess(fake.pid!, home, 'alpha');
  assert.equal(stopped, 'stopped');
  assert.equal(isServeProcess(fake.pid!, home, 'alpha'), false);
  other.kill();
});

test('a control plane that ignores SIGTERM is killed after the grace period', async () => {
  const fake = await startFake('stubborn', { IGNORE_TERM: '1' });
  assert.equal(await stopServeProcess(fake.pid!, home, 'stubborn', 200), 'killed');
  assert.equal(await exitSignal(fake), 'SIGKILL');
});

test('stop leaves alone a process whose pid the pid file records but which is not ours', async () => {
  const paths = clusterPaths(home, 'reused');
  mkdirSync(paths.dir, { recursive: true });
  writeClusterConfig(paths, { name: 'reused', port: 1, created: new Date().toISOString(), nodes: 1, egress: 'all' });
  const other = await startOther();
  writePidFile(paths, other.pid!);
  assert.equal(await stopControlPlanes(paths, 'reused'), 0);
  assert.equal(other.exitCode, null);
  assert.equal(other.signalCode, null);
  process.kill(other.pid!, 0); // still alive
  assert.equal(existsSync(paths.pid), false, 'the stale pid file is removed');
  other.kill();
});

test('stop finds a control plane whose pid file was lost', async () => {
  const paths = clusterPaths(home, 'lost');
  mkdirSync(paths.dir, { recursive: true });
  const fake = await startFake('lost');
  assert.equal(await stopControlPlanes(paths, 'lost'), 1);
  assert.equal(await exitSignal(fake), 'SIGTERM');
});
