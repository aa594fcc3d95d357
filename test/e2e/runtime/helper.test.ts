// The runtime helper's sandbox and shim modes on a real machine, the steps of every pod
// start that used to be processes of their own (ip, nsenter, unshare, shells, hostname, mount,
// mkfifo, date):
//   --sandbox  in a throwaway network namespace: lo up, the UTS and IPC namespaces pinned on
//              files, the hostname and sysctls set there and not on the host; a sysctl it cannot
//              set fails naming it; with `+`, the network namespace created and pinned as
//              `ip netns add` pins it, said on stdout, and never over an existing one;
//   skiff-shim with a stand-in for runc on PATH: the overlay root mounted in a mount namespace
//              of runc's own, never in the host's; the log, pid and exit files as the runtime
//              reads them; a root that cannot be mounted reported in runc.log, runc never run.
// Everything lives under a temp dir and a namespace named after this process; `after` removes them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHelper } from '../../../src/node/kubelet/runtime/helper.js';

const overlay = existsSync('/proc/filesystems') && /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const skip = process.getuid?.() !== 0 ? 'needs root' : !overlay ? 'needs overlayfs' : false;
const dir = mkdtempSync(join(tmpdir(), 'skiff-helper-'));
const netns = `skiff-helper-test-${process.pid}`;
const created = `skiff-helper-made-${process.pid}`;

/** Mount points under our directory in this (the host's) mount namespace. */
function mountsUnder(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

after(() => {
  for (const p of mountsUnder().reverse()) spawnSync('umount', ['-l', p]);
  for (const n of [netns, created]) spawnSync('ip', ['netns', 'delete', n]);
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

test('--sandbox with +NETNS creates the network namespace and pins it where ip netns looks, saying so before the rest', { skip }, () => {
  const ns = join(dir, 'ns-made');
  mkdirSync(ns);
  for (const f of ['ipc', 'uts']) writeFileSync(join(ns, f), '');
  const r = helper(['--sandbox', `+/run/netns/${created}`, 'lo', join(ns, 'ipc'), join(ns, 'uts'), 'pod-c']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'pinned\n');
  assert.match(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(`^${created}\\b`, 'm'));
  const self = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout.trim();
  const inside = spawnSync('ip', ['netns', 'exec', created, 'sh', '-c', 'readlink /proc/self/ns/net; ip -o link show lo'], { encoding: 'utf8' });
  assert.equal(inside.status, 0, inside.stderr);
  const [own, lo] = inside.stdout.trim().split('\n');
  assert.notEqual(own, self);
  assert.match(lo, /<LOOPBACK,UP,LOWER_UP>/);

  // An existing name is refused before anything is made; the namespace there is left alone.
  writeFileSync(join(ns, 'uts2'), '');
  const again = helper(['--sandbox', `+/run/netns/${created}`, 'lo', '-', join(ns, 'uts2'), 'pod-d']);
  assert.equal(again.status, 1);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, new RegExp(`^creating the network namespace file /run/netns/${created}: File exists`));
  assert.equal(spawnSync('ip', ['-n', created, 'link', 'show', 'lo']).status, 0);
  for (const f of ['ipc', 'uts']) assert.equal(spawnSync('umount', [join(ns, f)]).status, 0);
  assert.equal(spawnSync('ip', ['netns', 'delete', created]).status, 0);
});

/**
 * A stand-in for runc: `run -d` notes what it sees of the root and leaves a process that writes
 * and exits 7, as a container would, once this runc has exited (as runc's detached container
 * outlives it: had it ended first, the shell might have reaped it, and the shim would never learn
 * its status); `create` leaves that process waiting, as runc's init does,
 * to write its byte to <root>/<id>/exec.fifo (or, with <bundle>/dies, one that ends at once);
 * `create`, `start` and `delete` are noted.
 */
function fakeRunc(): string {
  const bin = join(dir, 'bin');
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  writeFileSync(join(bin, 'runc'), `#!/bin/sh
case " $* " in
  *" run "*) prev=; for a in "$@"; do [ "$prev" = --pid-file ] && pf=$a; [ "$prev" = --bundle ] && b=$a; prev=$a; done
    { cat "$b/rootfs/etc/image-file"; grep " $b/rootfs " /proc/self/mountinfo; } >"$b/seen"
    sh -c 'while [ "$(cut -d" " -f4 /proc/$$/stat)" = "$1" ]; do :; done; echo out; echo err >&2; echo again; exit 7' container $$ & echo $! >"$pf"; exit 0;;
  *" create "*) prev=; for a in "$@"; do [ "$prev" = --pid-file ] && pf=$a; [ "$prev" = --bundle ] && b=$a; [ "$prev" = --root ] && r=$a; prev=$a; id=$a; done
    mkdir -p "$r/$id"; rm -f "$r/$id/exec.fifo"; mkfifo "$r/$id/exec.fifo"; echo create >>"$b/calls"
    if [ -f "$b/dies" ]; then sh -c 'exit 3' & else sh -c 'echo 0 >"$1"; echo out; echo err >&2; echo again; exit 7' created "$r/$id/exec.fifo" & fi
    echo $! >"$pf"; echo $! >"$r.created"; exit 0;;
  *" start "*) prev=; for a in "$@"; do [ "$prev" = --log ] && b=$(dirname "$a"); prev=$a; done
    echo start >>"$b/calls";;
  *" delete "*) echo "$*" >>"${join(dir, 'deleted')}"; [ -f "$2.created" ] && kill "$(cat "$2.created")"; rm -f "$2.created";;
esac
`, { mode: 0o755 });
  return bin;
}

function shim(bundle: string, lower: string) {
  for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
  rmSync(join(dir, 'deleted'), { force: true });
  const r = spawnSync(ensureHelper(dir), ['skiff-shim', bundle, join(bundle, 'log'), join(dir, 'oom'), lower, join(dir, 'state'), 'cid'], {
    encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: `${fakeRunc()}:/usr/sbin:/usr/bin:/sbin:/bin` },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(join(bundle, 'exit'), 'utf8'), /^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 2 2\n$/);
  assert.equal(readFileSync(join(dir, 'deleted'), 'utf8'), `--root ${join(dir, 'state')} delete -f cid\n`);
  assert.deepEqual(mountsUnder(), [], 'the root showed in the host\'s mount table');
  return { exit: readFileSync(join(bundle, 'exit'), 'utf8').split(' ')[0] };
}

test('skiff-shim: the root in a mount namespace of runc\'s own, the lines stamped into the log, the pid, then the exit with the OOM counts', { skip }, () => {
  writeFileSync(join(dir, 'oom'), 'oom_kill_disable 0\noom_kill 2\n');
  const lower = join(dir, 'lower');
  mkdirSync(join(lower, 'etc'), { recursive: true });
  writeFileSync(join(lower, 'etc', 'image-file'), 'from the image\n');
  const bundle = join(dir, 'bundle');
  assert.equal(shim(bundle, lower).exit, '7');
  const seen = readFileSync(join(bundle, 'seen'), 'utf8');
  assert.match(seen, /^from the image\n/);
  assert.match(seen, /overlay skiff-root /);
  const lines = readFileSync(join(bundle, 'log'), 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''));
  assert.deepEqual(lines.filter((l) => l.startsWith('stdout')), ['stdout F out', 'stdout F again']);
  assert.deepEqual(lines.filter((l) => l.startsWith('stderr')), ['stderr F err']);
  assert.match(readFileSync(join(bundle, 'pid'), 'utf8'), /^\d+\n$/);
});

/** Waits for the shim's child to note `create`; then lets it go (or aborts it) and waits for the shim's end. */
async function heldShim(bundle: string, lower: string, abort: boolean): Promise<{ status: number | null; pidBeforeStart: boolean }> {
  for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
  rmSync(join(dir, 'deleted'), { force: true });
  writeFileSync(join(bundle, 'hold'), '');
  const child = spawn(ensureHelper(dir), ['skiff-shim', bundle, join(bundle, 'log'), join(dir, 'oom'), lower, join(dir, 'state'), 'cid'], {
    stdio: 'ignore', env: { PATH: `${fakeRunc()}:/usr/sbin:/usr/bin:/sbin:/bin` },
  });
  let exited: number | null | undefined;
  const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exited = code))));
  while (!existsSync(join(bundle, 'calls'))) {
    if (exited !== undefined) throw new Error(`the shim ended (status ${exited}) before it ran runc create`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const pidBeforeStart = existsSync(join(bundle, 'pid'));
  if (abort) writeFileSync(join(bundle, 'abort'), 'the attachment failed\n');
  rmSync(join(bundle, 'hold'));
  return { status: await ended, pidBeforeStart };
}

test('skiff-shim with a hold: runc create at once, started (its exec fifo read, no second runc) only once the hold is gone, then the pid and the exit', { skip }, async () => {
  writeFileSync(join(dir, 'oom'), 'oom_kill 2\n');
  const lower = join(dir, 'lower-held');
  mkdirSync(lower, { recursive: true });
  const bundle = join(dir, 'held');
  const r = await heldShim(bundle, lower, false);
  assert.equal(r.status, 0);
  assert.equal(r.pidBeforeStart, false);
  assert.equal(readFileSync(join(bundle, 'calls'), 'utf8'), 'create\n');
  assert.equal(existsSync(join(dir, 'state', 'cid', 'exec.fifo')), false, 'the exec fifo of a started container is removed, as runc start does');
  assert.match(readFileSync(join(bundle, 'exit'), 'utf8'), /^7 /);
  assert.match(readFileSync(join(bundle, 'pid'), 'utf8'), /^\d+\n$/);
  const lines = readFileSync(join(bundle, 'log'), 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''));
  assert.deepEqual(lines.filter((l) => l.startsWith('stdout')), ['stdout F out', 'stdout F again']);
  assert.deepEqual(mountsUnder(), []);
});

test('skiff-shim with a hold and an abort: never started, deleted, exit 125 without a pid', { skip }, async () => {
  writeFileSync(join(dir, 'oom'), 'oom_kill 2\n');
  const lower = join(dir, 'lower-aborted');
  mkdirSync(lower, { recursive: true });
  const bundle = join(dir, 'aborted');
  const r = await heldShim(bundle, lower, true);
  assert.equal(r.status, 0);
  assert.equal(readFileSync(join(bundle, 'calls'), 'utf8'), 'create\n');
  assert.match(readFileSync(join(bundle, 'exit'), 'utf8'), /^125 /);
  assert.equal(existsSync(join(bundle, 'pid')), false);
  assert.equal(readFileSync(join(dir, 'deleted'), 'utf8'), `--root ${join(dir, 'state')} delete -f cid\n`);
  assert.deepEqual(mountsUnder(), []);
});

test('skiff-shim with a hold whose container ends before it is started: said in runc.log, exit 125 without a pid, deleted', { skip }, async () => {
  writeFileSync(join(dir, 'oom'), 'oom_kill 2\n');
  const lower = join(dir, 'lower-dies');
  mkdirSync(lower, { recursive: true });
  const bundle = join(dir, 'dies');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'dies'), '');
  const r = await heldShim(bundle, lower, false);
  assert.equal(r.status, 0);
  assert.match(readFileSync(join(bundle, 'exit'), 'utf8'), /^125 /);
  assert.equal(existsSync(join(bundle, 'pid')), false);
  assert.equal(readFileSync(join(bundle, 'runc.log'), 'utf8'), `starting the container: its process ended before it was started, at ${join(dir, 'state', 'cid', 'exec.fifo')}: No such process\n`);
  assert.equal(readFileSync(join(dir, 'deleted'), 'utf8'), `--root ${join(dir, 'state')} delete -f cid\n`);
  assert.deepEqual(mountsUnder(), []);
});

test('skiff-shim: a root that cannot be mounted is said in runc.log, exit 125 without a pid, and runc never runs', { skip }, () => {
  writeFileSync(join(dir, 'oom'), 'oom_kill 2\n');
  const bundle = join(dir, 'broken');
  assert.equal(shim(bundle, join(dir, 'no-such-lower')).exit, '125');
  assert.equal(readFileSync(join(bundle, 'runc.log'), 'utf8'), `mounting the overlay root on ${bundle}/rootfs: No such file or directory\n`);
  assert.equal(existsSync(join(bundle, 'seen')), false);
  assert.equal(existsSync(join(bundle, 'pid')), false);
});
