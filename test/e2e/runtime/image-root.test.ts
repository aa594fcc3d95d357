// An assembled image root on a real machine: the root as the lower layer of an overlay, the
// image's mounts bound read-only over it, and a shell chrooted into it, all inside a private
// mount namespace (unshare --mount) so every mount goes when the process does. What runs there
// sees the image, not the host.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX } from '../../../src/images/busybox.js';
import { hostProgramsDir } from '../../../src/images/root-mounts.js';
import { assembleRoot, imageMounts, imageUser } from '../../../src/images/rootfs.js';

const tools = ['unshare', 'chroot', 'mount'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const overlay = existsSync('/proc/filesystems') && /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const canRun = process.getuid?.() === 0 && tools && overlay && existsSync(BUSYBOX);
const skip = !canRun && 'needs root, unshare, chroot, overlayfs and busybox';

const dir = mkdtempSync(join(tmpdir(), 'skiff-image-root-'));

/** Mount points under our directory in the host's namespace: there must never be any. */
function leaked(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

after(() => {
  // Removing a tree with a host directory bound inside would remove the host's files: unmount
  // anything that escaped first, and keep the tree if that fails.
  for (const p of leaked().reverse()) spawnSync('umount', ['-l', p]);
  if (leaked().length === 0) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(leaked(), []);
});

// $1 the assembled root, $2 a scratch directory, $3 chroot's --userspec and $4 its --groups (the
// image's user, as the runtime would set it), $5 the check script,
// then source/destination pairs to bind read-only. The overlay's upper layer lives on a tmpfs
// so nothing is written to the root; /dev gets runc's device nodes.
const SETUP = `set -e
r=$1 s=$2 u=$3 g=$4 check=$5
shift 5
mount -t tmpfs -o mode=0755 skiff-image-root-scratch "$s"
mkdir "$s/upper" "$s/work" "$s/root"
mount -t overlay skiff-image-root -o "lowerdir=$r,upperdir=$s/upper,workdir=$s/work" "$s/root"
m=$s/root
while [ $# -gt 0 ]; do
  mount --bind "$1" "$m$2"
  mount -o remount,bind,ro "$m$2"
  shift 2
done
mount -t tmpfs -o mode=0755,nosuid skiff-image-root-dev "$m/dev"
for d in null zero full random urandom tty; do : >"$m/dev/$d"; mount --bind "/dev/$d" "$m/dev/$d"; done
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root chroot --userspec="$u" --groups="$g" "$m" /bin/sh -c "$check"
`;

function runInRoot(key: string, check: string): { status: number | null; stdout: string; stderr: string; root: string } {
  const root = assembleRoot(key, join(dir, 'images'));
  const scratch = join(dir, `scratch-${key.replace(/\W+/g, '-')}`);
  mkdirSync(scratch);
  const user = imageUser(key);
  const userspec = `${user.uid}:${user.gid}`;
  const groups = user.additionalGids.join(',');
  const pairs = imageMounts(key).flatMap((m) => [m.source, m.destination]);
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', SETUP, 'skiff-image-root', root, scratch, userspec, groups, check, ...pairs], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, root };
}

// Host paths a container must not see: the cluster state, the host's secrets, this checkout.
const HOST_ONLY = ['/var/lib/skiff', '/etc/shadow', hostProgramsDir(), '/usr/local/lib/skiff', '/usr/bin/node'];
const NOT_VISIBLE = `for p in ${HOST_ONLY.join(' ')}; do if [ -e "$p" ]; then echo "visible: $p"; fi; done`;

test('a shell chrooted into the busybox root sees the image, not the host', { skip }, () => {
  assert.ok(existsSync('/etc/shadow'), 'the host has the file the container must not see');
  const check = [
    'ls /',
    'echo ---',
    'cat /etc/passwd',
    'echo ---',
    'id',
    'wget --help >/dev/null 2>&1 && echo wget-ok',
    NOT_VISIBLE,
    `node -e 'console.log("node", process.version)'`,
    'echo ok',
  ].join('\n');
  const r = runInRoot('busybox', check);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const [ls, passwd, rest] = r.stdout.split('---\n');
  assert.deepEqual(ls.trim().split('\n'), ['bin', 'dev', 'etc', 'home', 'lib', 'lib64', 'opt', 'proc', 'root', 'sys', 'tmp', 'usr', 'var']);
  assert.equal(passwd, readFileSync(join(r.root, 'etc/passwd'), 'utf8'));
  const lines = rest.trim().split('\n');
  assert.equal(lines[0], 'uid=0(root) gid=0(root) groups=0(root),10(wheel)');
  assert.deepEqual(lines.slice(1), ['wget-ok', `node ${process.version}`, 'ok']);
  assert.deepEqual(leaked(), []);
});

test('curlimages/curl runs as curl_user, named by the image’s own /etc, in a home it owns', { skip }, () => {
  const check = ['id', 'cd "$(grep ^curl_user: /etc/passwd | cut -d: -f6)" && touch made-here && echo home-ok', NOT_VISIBLE, 'echo ok'].join('\n');
  const r = runInRoot('curlimages/curl', check);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split('\n'), ['uid=100(curl_user) gid=101(curl_group) groups=101(curl_group)', 'home-ok', 'ok']);
  // The write went to the overlay's upper layer, gone with the namespace; the root is untouched.
  assert.ok(!existsSync(join(r.root, 'home/curl_user/made-here')));
  assert.deepEqual(leaked(), []);
});
