// The runtime helper's sandbox and root modes on a real machine, the steps of every pod start
// that used to be processes of their own (ip, nsenter, unshare, a shell, hostname, mount):
//   --sandbox  in a throwaway network namespace: lo up, the UTS and IPC namespaces pinned on
//              files, the hostname and sysctls set there and not on the host; a sysctl it cannot
//              set fails naming it;
//   --root     the overlay root mounted in a mount namespace of the supervised command's own,
//              never in the host's; a root that cannot be mounted is reported in runc.log and
//              the command never runs.
// Everything lives under a temp dir and a namespace named after this process; `after` removes them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHelper } from '../../../src/node/kubelet/runtime/helper.js';

const overlay = existsSync('/proc/filesystems') && /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const skip = process.getuid?.() !== 0 ? 'needs root' : !overlay ? 'needs overlayfs' : false;
const dir = mkdtempSync(join(tmpdir(), 'skiff-helper-'));
const netns = `skiff-helper-test-${process.pid}`;

/** Mount points under our directory in this (the host's) mount namespace. */
function mountsUnder(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

after(() => {
  for (const p of mountsUnder().reverse()) spawnSync('umount', ['-l', p]);
  spawnSync('ip', ['netns', 'delete', netns]);
  const left = mountsUnder();
  if (left.length === 0) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(left, []);
});

function helper(args: string[]) {
  return spawnSync(ensureHelper(dir), args, { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
}

test('--sandbox brings up lo and pins new UTS and IPC namespaces in the pod network namespace, with hostname and sysctls', { skip }, () => {
  assert.equal(spawnSync('ip', ['netns', 'add', netns]).status, 0);
  const ns = join(dir, 'ns');
  mkdirSync(ns);
  for (const f of ['ipc', 'uts']) writeFileSync(join(ns, f), '');
  const hostSysctls = () => ['ip_unprivileged_port_start', 'ping_group_range'].map((f) => readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8'));
  const before = hostSysctls();
  const r = helper(['--sandbox', `/run/netns/${netns}`, 'lo', join(ns, 'ipc'), join(ns, 'uts'), 'pod-a', 'net/ipv4/ip_unprivileged_port_start', '0', 'net/ipv4/ping_group_range', '0 2147483647']);
  assert.equal(r.status, 0, r.stderr);
  const self = (t: string) => spawnSync('readlink', [`/proc/self/ns/${t}`], { encoding: 'utf8' }).stdout.trim();
  const inside = spawnSync('nsenter', [`--net=/run/netns/${netns}`, `--uts=${join(ns, 'uts')}`, `--ipc=${join(ns, 'ipc')}`, '--', 'sh', '-c',
    'hostname; cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range; readlink /proc/self/ns/uts /proc/self/ns/ipc'], { encoding: 'utf8' });
  assert.equal(inside.status, 0, inside.stderr);
  const [name, port, ping, uts, ipc] = inside.stdout.trim().split('\n');
  assert.equal(name, 'pod-a');
  assert.equal(port, '0');
  assert.equal(ping.replace(/\s+/g, ' '), '0 2147483647');
  assert.notEqual(uts, self('uts'));
  assert.notEqual(ipc, self('ipc'));
  assert.notEqual(hostname(), 'pod-a');
  assert.deepEqual(hostSysctls(), before);
  assert.match(spawnSync('ip', ['-n', netns, '-o', 'link', 'show', 'lo'], { encoding: 'utf8' }).stdout, /<LOOPBACK,UP,LOWER_UP>/);

  // hostIPC: only a UTS namespace; an unknown sysctl is refused by name.
  writeFileSync(join(ns, 'uts2'), '');
  const bad = helper(['--sandbox', `/run/netns/${netns}`, '-', '-', join(ns, 'uts2'), 'pod-b', 'net/ipv4/no_such_sysctl', '1']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^setting sysctl net\/ipv4\/no_such_sysctl: No such file or directory/);
  for (const f of ['ipc', 'uts', 'uts2']) assert.equal(spawnSync('umount', [join(ns, f)]).status, 0);
  assert.equal(spawnSync('ip', ['netns', 'delete', netns]).status, 0);
});

test('--root mounts the overlay root in a mount namespace of its own, then supervises', { skip }, () => {
  const lower = join(dir, 'lower');
  mkdirSync(join(lower, 'etc'), { recursive: true });
  writeFileSync(join(lower, 'etc', 'image-file'), 'from the image\n');
  const bundle = join(dir, 'bundle');
  for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
  // The supervised command reports what it sees and leaves a child behind, as `runc run -d` does.
  const script = 'cat "$1/rootfs/etc/image-file" >"$1/seen" && grep " $1/rootfs " /proc/self/mountinfo >>"$1/seen" && { sleep 0 & echo $! >"$1/cmd.pid"; }';
  const r = helper(['--root', bundle, lower, '--supervise', join(bundle, 'pid'), join(bundle, 'cmd.pid'), 'sh', '-c', script, 'cmd', bundle]);
  assert.equal(r.status, 0, r.stderr);
  const seen = readFileSync(join(bundle, 'seen'), 'utf8');
  assert.match(seen, /^from the image\n/);
  assert.match(seen, /overlay skiff-root /);
  assert.match(readFileSync(join(bundle, 'pid'), 'utf8'), /^\d+\n$/);
  assert.deepEqual(mountsUnder(), [], 'the root showed in the host\'s mount table');
});

test('--root that cannot mount the root says why in runc.log and runs nothing', { skip }, () => {
  const bundle = join(dir, 'broken');
  for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
  const r = helper(['--root', bundle, join(dir, 'no-such-lower'), '--supervise', join(bundle, 'pid'), join(bundle, 'cmd.pid'), 'sh', '-c', 'touch "$1/ran"', 'cmd', bundle]);
  assert.equal(r.status, 125);
  assert.match(readFileSync(join(bundle, 'runc.log'), 'utf8'), new RegExp(`^mounting the overlay root on ${bundle}/rootfs: No such file or directory\n$`));
  assert.equal(existsSync(join(bundle, 'ran')), false);
  assert.equal(existsSync(join(bundle, 'pid')), false);
  assert.deepEqual(mountsUnder(), []);
});
