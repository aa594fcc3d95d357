import { test } from 'node:test';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { formatEntry, parseCriLine, rfc3339Nano, splitLines, stampMillis, tailLines } from '../../../../../src/node/kubelet/runtime/logs.js';
import { clusterWeightWrite, limitWrites, parseFlatKeyed, podCgroupDirs, procsFiles, oomEventsFile, type CgroupDriver } from '../../../../../src/node/kubelet/runtime/cgroups.js';
import { execArgv, parseExitFile, runcError, shellQuote, shimArgv } from '../../../../../src/node/kubelet/runtime/shim.js';
import { attemptLayout, podLayout } from '../../../../../src/node/kubelet/runtime/layout.js';
import { createError } from '../../../../../src/node/kubelet/runtime/index.js';
import { mountPointsUnder } from '../../../../../src/node/kubelet/runtime/host-mounts.js';

const v2: CgroupDriver = { version: 2, root: '/cg' };
const v1: CgroupDriver = { version: 1, roots: { cpu: '/nonexistent/cpu', cpuacct: '/nonexistent/cpuacct', memory: '/nonexistent/memory', pids: '/nonexistent/pids' } };

test('CRI log lines parse, including partial lines and empty content', () => {
  assert.deepEqual(parseCriLine('2024-01-02T03:04:05.123456789Z stdout F hello world'), { time: '2024-01-02T03:04:05.123456789Z', stream: 'stdout', partial: false, content: 'hello world' });
  assert.deepEqual(parseCriLine('2024-01-02T03:04:05Z stderr P abc'), { time: '2024-01-02T03:04:05Z', stream: 'stderr', partial: true, content: 'abc' });
  assert.equal(parseCriLine('2024-01-02T03:04:05.1Z stdout F ')?.content, '');
  assert.equal(parseCriLine('garbage'), undefined);
});

test('timestamps render as Go RFC3339Nano (trailing zeros trimmed) and compare with sub-ms precision', () => {
  assert.equal(rfc3339Nano('2024-01-02T03:04:05.120000000Z'), '2024-01-02T03:04:05.12Z');
  assert.equal(rfc3339Nano('2024-01-02T03:04:05.000000000Z'), '2024-01-02T03:04:05Z');
  assert.equal(rfc3339Nano('2024-01-02T03:04:05.123456789Z'), '2024-01-02T03:04:05.123456789Z');
  assert.equal(stampMillis('2024-01-02T03:04:05.000500000Z') - Date.parse('2024-01-02T03:04:05Z'), 0.5);
});

test('formatEntry applies sinceTime and the timestamp prefix; partial lines get no newline', () => {
  const e = parseCriLine('2024-01-02T03:04:05.500000000Z stdout F x')!;
  assert.equal(formatEntry(e, {}), 'x\n');
  assert.equal(formatEntry(e, { timestamps: true }), '2024-01-02T03:04:05.5Z x\n');
  assert.equal(formatEntry(e, { sinceTime: new Date('2024-01-02T03:04:06Z') }), undefined);
  assert.equal(formatEntry(e, { sinceTime: new Date('2024-01-02T03:04:05Z') }), 'x\n');
  assert.equal(formatEntry({ ...e, partial: true }, {}), 'x');
});

test('tail keeps the last n lines; -1 or absent keeps all; unterminated rest is held back', () => {
  assert.deepEqual(tailLines(['a', 'b', 'c'], 2), ['b', 'c']);
  assert.deepEqual(tailLines(['a', 'b'], 0), []);
  assert.deepEqual(tailLines(['a', 'b'], -1), ['a', 'b']);
  assert.deepEqual(tailLines(['a'], 5), ['a']);
  assert.deepEqual(splitLines('a\nb\nhalf'), { lines: ['a', 'b'], rest: 'half' });
  assert.deepEqual(splitLines(''), { lines: [], rest: '' });
});

test('cgroup paths: v2 one dir, v1 one per controller, under skiff.<C>/<uid>', () => {
  assert.deepEqual(podCgroupDirs(v2, 'c1', 'u1'), ['/cg/skiff.c1/u1']);
  assert.deepEqual(podCgroupDirs(v1, 'c1', 'u1'), ['cpu', 'cpuacct', 'memory', 'pids'].map((c) => `/nonexistent/${c}/skiff.c1/u1`));
  assert.deepEqual(procsFiles(v2, 'c1', 'u1'), ['/cg/skiff.c1/u1/cgroup.procs']);
  assert.equal(oomEventsFile(v1, 'c1', 'u1'), '/nonexistent/memory/skiff.c1/u1/memory.oom_control');
  assert.equal(oomEventsFile(v2, 'c1', 'u1'), '/cg/skiff.c1/u1/memory.events');
});

test('cgroup v1: co-mounted controllers give one dir, and hierarchies mounted after a first ask are found', () => {
  const base = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
  try {
    const d: CgroupDriver = { version: 1, roots: { cpu: join(base, 'cpu'), cpuacct: join(base, 'cpuacct'), memory: join(base, 'memory'), pids: join(base, 'pids') } };
    // Nothing there yet: the paths as given, and nothing remembered.
    assert.deepEqual(podCgroupDirs(d, 'c1', 'u1'), ['cpu', 'cpuacct', 'memory', 'pids'].map((c) => join(base, c, 'skiff.c1', 'u1')));
    for (const c of ['cpu,cpuacct', 'memory', 'pids']) mkdirSync(join(base, c));
    symlinkSync('cpu,cpuacct', join(base, 'cpu'));
    symlinkSync('cpu,cpuacct', join(base, 'cpuacct'));
    const want = ['cpu,cpuacct', 'memory', 'pids'].map((c) => join(realpathSync(base), c, 'skiff.c1', 'u1'));
    assert.deepEqual(podCgroupDirs(d, 'c1', 'u1'), want);
    assert.deepEqual(podCgroupDirs(d, 'c1', 'u2'), want.map((w) => w.replace(/u1$/, 'u2')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('pod layouts: the same answer for the same pod, which no caller can change', () => {
  const a = podLayout('/n', 'uid-1');
  assert.equal(podLayout('/n', 'uid-1'), a);
  assert.notEqual(podLayout('/m', 'uid-1').dir, a.dir);
  assert.throws(() => {
    (a as { state: string }).state = '/elsewhere';
  }, TypeError);
  assert.throws(() => {
    (a.pause as { dir: string }).dir = '/elsewhere';
  }, TypeError);
  assert.equal(podLayout('/n', 'uid-1').state, '/n/pods/uid-1/sandbox.json');
  assert.throws(() => podLayout('/n', '../x'), /invalid pod UID/);
});

test('limits: cpu millis become a CFS quota over 100ms, memory bytes a hard limit; absent means unlimited', () => {
  assert.deepEqual(limitWrites(v1, 'c', 'u', 500, 64 << 20), [
    ['/nonexistent/cpu/skiff.c/u/cpu.shares', '2'],
    ['/nonexistent/cpu/skiff.c/u/cpu.cfs_period_us', '100000'],
    ['/nonexistent/cpu/skiff.c/u/cpu.cfs_quota_us', '50000'],
    ['/nonexistent/memory/skiff.c/u/memory.limit_in_bytes', String(64 << 20)],
  ]);
  assert.deepEqual(limitWrites(v2, 'c', 'u', 1, undefined), [
    ['/cg/skiff.c/u/cpu.weight', '1'],
    ['/cg/skiff.c/u/cpu.max', '1000 100000'],
    ['/cg/skiff.c/u/memory.max', 'max'],
  ]);
  assert.deepEqual(limitWrites(v1, 'c', 'u').map(([, v]) => v), ['2', '100000', '-1', '-1']);
});

test("a pod's CPU weight follows its requests as the kubelet's ResourceConfigForPod: 2 shares best effort, 1024 per core", () => {
  assert.equal(limitWrites(v1, 'c', 'u', undefined, undefined, 0)[0][1], '2');
  assert.equal(limitWrites(v1, 'c', 'u', undefined, undefined, 250)[0][1], '256');
  assert.equal(limitWrites(v1, 'c', 'u', undefined, undefined, 1000)[0][1], '1024');
  assert.equal(limitWrites(v1, 'c', 'u', undefined, undefined, 1_000_000)[0][1], '262144');
  // cgroup v2: CpuSharesToCpuWeight
  assert.equal(limitWrites(v2, 'c', 'u', undefined, undefined, 1000)[0][1], '39');
  assert.equal(limitWrites(v2, 'c', 'u', undefined, undefined, 1_000_000)[0][1], '10000');
});

test("the cluster's cgroup weighs its nodes' allocatable CPU, as the kubelet weighs kubepods", () => {
  // Two nodes of two CPUs: 4000m, as MilliCPUToShares makes it; one node: 2000m.
  assert.deepEqual(clusterWeightWrite(v1, 'c', 4000), ['/nonexistent/cpu/skiff.c/cpu.shares', '4096']);
  assert.deepEqual(clusterWeightWrite(v1, 'c', 2000), ['/nonexistent/cpu/skiff.c/cpu.shares', '2048']);
  assert.deepEqual(clusterWeightWrite(v2, 'c', 4000), ['/cg/skiff.c/cpu.weight', '157']);
  assert.deepEqual(clusterWeightWrite(v2, 'c', 2000), ['/cg/skiff.c/cpu.weight', '79']);
});

test('flat-keyed cgroup files parse', () => {
  assert.deepEqual(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), { oom_kill_disable: 0, under_oom: 0, oom_kill: 3 });
});

test('shim argv: the helper as skiff-shim, then bundle, log, oom file, image root, runc root, id', () => {
  const argv = shimArgv({ attemptDir: '/a', logPath: '/a.log', helper: '/h', oomFile: '/oom', lowerDir: '/roots/busybox', runcRoot: '/n/runc', id: 'u-c-0' });
  assert.deepEqual(argv, ['/h', 'skiff-shim', '/a', '/a.log', '/oom', '/roots/busybox', '/n/runc', 'u-c-0']);
});

test('exec argv is runc exec of the container by id, logging to a file, with extra env', () => {
  const argv = execArgv({ runcRoot: '/n/runc', id: 'u-c-0', logFile: '/x.log', env: { TERM: 'xterm' }, argv: ['ls', '-l'] });
  assert.deepEqual(argv, ['runc', '--root', '/n/runc', '--log', '/x.log', '--log-format', 'json', 'exec', '--env', 'TERM=xterm', 'u-c-0', 'ls', '-l']);
});

test("runc's last logged error is the reason, without its own prefix", () => {
  const log = [
    '{"level":"warning","msg":"something","time":"t"}',
    '{"level":"error","msg":"runc run failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH","time":"t"}',
    '',
  ].join('\n');
  assert.equal(runcError(log), 'unable to start container process: exec: "nope": executable file not found in $PATH');
  assert.equal(runcError(''), undefined);
  assert.equal(
    createError('unable to start container process: exec: "nope": executable file not found in $PATH'),
    'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown',
  );
});

test('exit file: complete only with its newline; OOM when the counter grew', () => {
  assert.equal(parseExitFile('0 2024-01-01T00:00:00.1Z 0 0'), undefined);
  assert.deepEqual(parseExitFile('137 2024-01-01T00:00:00.1Z 1 2\n'), { exitCode: 137, finishedAt: '2024-01-01T00:00:00.1Z', oomKilled: true });
  assert.equal(parseExitFile('1 2024-01-01T00:00:00.1Z 2 2\n')?.oomKilled, false);
});

test('shell quoting survives quotes and spaces', () => {
  assert.equal(shellQuote(['echo', "it's a b"]), `'echo' 'it'\\''s a b'`);
});

test('layout: per pod and attempt paths; bad names are refused', () => {
  const pod = podLayout('/n', 'uid-1');
  assert.equal(pod.state, '/n/pods/uid-1/sandbox.json');
  const a = attemptLayout(pod, 'web', 2);
  assert.equal(a.log, '/n/pods/uid-1/logs/web/2.log');
  assert.equal(a.exit, '/n/pods/uid-1/containers/web/2/exit');
  assert.throws(() => podLayout('/n', '../x'));
  assert.throws(() => attemptLayout(pod, 'Bad/Name', 0));
});

test('mount points under a directory, deepest first, octal escapes decoded', () => {
  const info = [
    '22 1 0:21 / / rw - ext4 /dev/sda rw',
    '30 22 0:40 / /n/pods/u/containers/c/0/rootfs rw - overlay skiff-root rw',
    '31 22 0:4 net:[1] /n/pods/u/ns/uts rw - nsfs nsfs rw',
    '32 22 0:41 / /n/pods/u2/with\\040space rw - tmpfs t rw',
    '',
  ].join('\n');
  assert.deepEqual(mountPointsUnder('/n/pods/u', info), ['/n/pods/u/containers/c/0/rootfs', '/n/pods/u/ns/uts']);
  assert.deepEqual(mountPointsUnder('/n/pods/u2', info), ['/n/pods/u2/with space']);
});
