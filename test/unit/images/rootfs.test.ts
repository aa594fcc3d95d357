// Assembled roots for the built-in images: the skeleton, the busybox applets, /etc as the real
// images have it, the image's default user, idempotent and race-safe assembly, and the mounts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX } from '../../../src/images/busybox.js';
import { BUILTIN_IMAGES } from '../../../src/images/catalog.js';
import { BUILTIN_ROOTS, HOST_PROGRAM_ROOT } from '../../../src/images/builtin-roots.js';
import { parseGroup, parsePasswd } from '../../../src/images/etc-files.js';
import {
  CONTAINER_BUSYBOX, CONTAINER_NODE, CONTAINER_PROGRAMS, helperPath, hostProgramsDir, toContainerArgv,
} from '../../../src/images/root-mounts.js';
import { rootPlan } from '../../../src/images/root-plan.js';
import { playedByLink, userlandApplets } from '../../../src/images/root-userland.js';
import { assembleRoot, builtinRootKey, imageMounts, imageUser, toContainerPaths } from '../../../src/images/rootfs.js';
import { parseLdd, sharedLibraries } from '../../../src/images/shared-libs.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-rootfs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;
const roots = new Map<string, string>();
/** One assembled root per image for the whole file: assembling is the slow part. */
function root(key: string): string {
  let r = roots.get(key);
  if (!r) roots.set(key, (r = assembleRoot(key, join(dir, 'shared'))));
  return r;
}

const read = (key: string, path: string) => readFileSync(join(root(key), path), 'utf8');
const mode = (p: string) => lstatSync(p).mode & 0o7777;

/** Every path under `top`, relative, with a trailing `/` on directories; symlinks not followed. */
function tree(top: string, at = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(top, at)).sort()) {
    const rel = `${at}/${name}`;
    const st = lstatSync(join(top, rel));
    out.push(st.isDirectory() ? `${rel}/` : rel);
    if (st.isDirectory()) out.push(...tree(top, rel));
  }
  return out;
}

function planTree(key: string): string[] {
  return rootPlan(key).map((e) => (e.type === 'dir' ? `${e.path}/` : e.path)).sort();
}

test('every catalog image has exactly one root, found from any reference to it', () => {
  assert.deepEqual(Object.keys(BUILTIN_ROOTS).sort(), [...BUILTIN_IMAGES.map((i) => i.names[0]), HOST_PROGRAM_ROOT].sort());
  assert.equal(builtinRootKey('registry.k8s.io/e2e-test-images/agnhost:2.39'), 'e2e-test-images/agnhost');
  assert.equal(builtinRootKey('docker.io/library/nginx:1.27'), 'nginx');
  assert.equal(builtinRootKey('busybox'), 'busybox');
  assert.equal(builtinRootKey('registry.k8s.io/coredns/coredns:v1.11.3'), 'coredns/coredns');
  assert.equal(builtinRootKey('registry.k8s.io/ingress-nginx/controller:v1.12.0@sha256:' + 'a'.repeat(64)), 'ingress-nginx/controller');
  assert.equal(builtinRootKey('k8s.gcr.io/google_containers/echoserver:1.4'), 'echoserver');
  assert.equal(builtinRootKey('myorg/web:1.0'), undefined);
  assert.equal(builtinRootKey('Not A Reference'), undefined);
});

test('the skeleton is the base image’s: busybox’s few directories, Alpine’s FHS tree, Debian’s merged /usr', () => {
  const bb = root('busybox');
  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'tmp', 'usr/bin', 'usr/sbin', 'var/spool/mail', 'var/www']) {
    assert.ok(statSync(join(bb, d)).isDirectory(), d);
  }
  assert.equal(mode(join(bb, 'tmp')), 0o1777);
  assert.equal(mode(join(bb, 'root')), 0o700);
  assert.equal(readlinkSync(join(bb, 'usr/bin/env')), '../../bin/env');
  // The busybox image has neither /sbin nor /run: its applets all live in /bin.
  assert.ok(!existsSync(join(bb, 'sbin')) && !existsSync(join(bb, 'run')));
  if (asRoot) {
    assert.equal(statSync(join(bb, 'home')).uid, 65534);
    assert.equal(statSync(join(bb, 'var/www')).gid, 33);
  }

  const alpine = root('e2e-test-images/agnhost');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'etc', 'home', 'root', 'run', 'var/log', 'proc', 'sys', 'dev', 'uploads']) {
    assert.ok(statSync(join(alpine, d)).isDirectory(), d);
  }
  assert.equal(readlinkSync(join(alpine, 'var/run')), '/run');
  assert.equal(mode(join(alpine, 'tmp')), 0o1777);
  assert.equal(mode(join(alpine, 'var/empty')), 0o555);

  const debian = root('nginx');
  for (const [link, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['var/run', '/run']]) {
    assert.equal(readlinkSync(join(debian, link)), target, link);
  }
  assert.ok(statSync(join(debian, 'docker-entrypoint.d')).isDirectory());
  assert.equal(readlinkSync(join(debian, 'var/log/nginx/access.log')), '/dev/stdout');

  const distroless = root('coredns/coredns');
  assert.deepEqual(readdirSync(join(distroless, 'bin')), [], 'distroless has no shell');
  assert.equal(mode(join(distroless, 'home/nonroot')), 0o700);

  // No image has the host's secrets: /etc holds what the image's /etc has, nothing else.
  for (const key of ['busybox', 'e2e-test-images/agnhost', 'nginx', 'coredns/coredns']) {
    assert.ok(!existsSync(join(root(key), 'etc/shadow')), key);
  }
});

test('busybox applets link to the busybox that plays them, where the base installs them; nc runs our nc', () => {
  const applets = userlandApplets();
  assert.ok(applets.some((a) => a.name === 'wget') && applets.some((a) => a.name === 'sh'));
  const bb = root('busybox');
  const alpine = root('kiamol/ch03-sleep');
  for (const a of applets) {
    const inBin = join(bb, 'bin', a.name);
    const installed = join(alpine, a.installedAt);
    if (!a.installedAt.includes('/')) continue;
    if (playedByLink(a)) {
      assert.equal(readlinkSync(inBin), helperPath(a.argv[0]), a.name);
      assert.equal(readlinkSync(installed), helperPath(a.argv[0]), a.name);
    } else {
      assert.match(readFileSync(inBin, 'utf8'), /^#!\/bin\/sh\nexec /, a.name);
    }
  }
  // The static busybox is /bin/busybox; wget (timeouts) is always it.
  assert.equal(readlinkSync(join(bb, 'bin/wget')), CONTAINER_BUSYBOX);
  assert.equal(
    readFileSync(join(bb, 'bin/nc'), 'utf8'),
    `#!/bin/sh\nexec '${CONTAINER_NODE}' '--max-semi-space-size=1' '--v8-pool-size=1' '${CONTAINER_PROGRAMS}/images/applets/nc.js' "$@"\n`,
  );
  assert.equal(mode(join(bb, 'bin/nc')), 0o755);
  // Alpine keeps busybox's own places: sbin for ifconfig, usr/bin for wget.
  assert.equal(readlinkSync(join(alpine, 'usr/bin/wget')), CONTAINER_BUSYBOX);
  assert.ok(lstatSync(join(alpine, 'sbin/ifconfig')).isSymbolicLink());
  assert.ok(!existsSync(join(alpine, 'bin/wget')));
  // On merged /usr they land in usr/bin and usr/sbin, reached through the /bin and /sbin links.
  const debian = root('nginx');
  assert.ok(lstatSync(join(debian, 'usr/bin/sh')).isSymbolicLink());
  assert.ok(lstatSync(join(debian, 'usr/sbin/ifconfig')).isSymbolicLink());
});

test('/etc/passwd and /etc/group are the real images’ own', () => {
  const users = (key: string) => parsePasswd(read(key, 'etc/passwd')).map((p) => `${p.name}:${p.uid}`);
  assert.deepEqual(users('busybox'), [
    'root:0', 'daemon:1', 'bin:2', 'sys:3', 'sync:4', 'mail:8', 'www-data:33', 'operator:37', 'nobody:65534',
  ]);
  assert.match(read('busybox', 'etc/group'), /^wheel:x:10:root$/m);
  assert.ok(!existsSync(join(root('busybox'), 'etc/nsswitch.conf')), 'the busybox image has no nsswitch.conf');

  // nginx: Debian's base-passwd plus the nginx system user the Dockerfile adds.
  const nginx = read('nginx', 'etc/passwd');
  assert.match(nginx, /^root:x:0:0:root:\/root:\/bin\/bash\n/);
  assert.match(nginx, /^_apt:x:42:65534::\/nonexistent:\/usr\/sbin\/nologin$/m);
  assert.match(nginx, /\nnginx:x:101:101:nginx user:\/nonexistent:\/bin\/false\n$/);
  assert.match(read('nginx', 'etc/group'), /\nnginx:x:101:\n$/);
  assert.match(read('nginx', 'etc/nsswitch.conf'), /^passwd:\s+files$/m);

  // Alpine (agnhost, kiamol): alpine-baselayout's set, with musl's one-line nsswitch.conf.
  assert.deepEqual(users('e2e-test-images/agnhost').slice(0, 3), ['root:0', 'bin:1', 'daemon:2']);
  assert.match(read('e2e-test-images/agnhost', 'etc/passwd'), /^nobody:x:65534:65534:nobody:\/:\/sbin\/nologin\n$/m);
  assert.match(read('e2e-test-images/agnhost', 'etc/group'), /^www-data:x:82:$/m);
  assert.match(read('e2e-test-images/agnhost', 'etc/nsswitch.conf'), /^hosts: files dns$/m);

  // curlimages/curl: busybox adduser -S puts curl_user at uid 100 in curl_group 101.
  assert.match(read('curlimages/curl', 'etc/passwd'), /\ncurl_user:x:100:101:Linux User,,,:\/home\/curl_user:\/bin\/false\n$/);
  assert.match(read('curlimages/curl', 'etc/group'), /\ncurl_group:x:101:curl_user\n$/);
  if (asRoot) assert.equal(statSync(join(root('curlimages/curl'), 'home/curl_user')).uid, 100);
  assert.equal(mode(join(root('curlimages/curl'), 'home/curl_user')), 0o2755);

  // The ingress controller: www-data 101 in Alpine's www-data group 82.
  assert.match(read('ingress-nginx/controller', 'etc/passwd'), /\nwww-data:x:101:82:www-data:\/usr\/local\/nginx:\/sbin\/nologin\n$/);
  assert.match(read('ingress-nginx/controller', 'etc/group'), /^www-data:x:82:www-data$/m);

  // Distroless (coredns, http-echo): root, nobody, nonroot only.
  assert.deepEqual(users('coredns/coredns'), ['root:0', 'nobody:65534', 'nonroot:65532']);
  assert.deepEqual(parseGroup(read('hashicorp/http-echo', 'etc/group')).map((g) => g.name), ['root', 'nobody', 'tty', 'staff', 'nonroot']);

  // Older Debian bases (echoserver, hpa-example) still have gnats and no _apt.
  assert.match(read('hpa-example', 'etc/passwd'), /^gnats:x:41:41:/m);
  assert.doesNotMatch(read('echoserver', 'etc/passwd'), /^_apt:/m);
});

test('imageUser resolves the config’s User against the image’s own /etc', () => {
  assert.deepEqual(imageUser('busybox'), { user: '', uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
  assert.deepEqual(imageUser('nginx'), { user: '', uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  // Alpine's root is listed in bin, daemon, sys, adm, disk, wheel, floppy, dialout, tape, video.
  assert.deepEqual(imageUser('e2e-test-images/agnhost').additionalGids, [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27]);
  assert.deepEqual(imageUser('curlimages/curl'), { user: 'curl_user', uid: 100, gid: 101, additionalGids: [101], home: '/home/curl_user' });
  assert.deepEqual(imageUser('ingress-nginx/controller'), { user: 'www-data', uid: 101, gid: 82, additionalGids: [82], home: '/usr/local/nginx' });
  assert.deepEqual(imageUser('coredns/coredns'), { user: 'nonroot:nonroot', uid: 65532, gid: 65532, additionalGids: [65532], home: '/home/nonroot' });
  assert.deepEqual(imageUser('hashicorp/http-echo'), { user: '65532', uid: 65532, gid: 65532, additionalGids: [65532], home: '/home/nonroot' });
  for (const key of Object.keys(BUILTIN_ROOTS)) assert.doesNotThrow(() => imageUser(key), key);
  assert.throws(() => imageUser('myorg/web'), /not a built-in image/);
});

test('assembling is idempotent: the same root, untouched, and no temporary trees left', () => {
  const at = join(dir, 'idem');
  const first = assembleRoot('busybox', at);
  const ino = statSync(first).ino;
  writeFileSync(join(at, 'marker'), '');
  assert.equal(assembleRoot('busybox', at), first);
  assert.equal(statSync(first).ino, ino);
  assert.deepEqual(readdirSync(at).sort(), [first.slice(at.length + 1), 'marker'].sort());
  assert.deepEqual(tree(first), planTree('busybox'));
  // The name follows the contents: other contents, another root beside it.
  const other = assembleRoot('busybox', at, { programsAt: '/srv/programs' });
  assert.notEqual(other, first);
  assert.match(readFileSync(join(other, 'bin/nc'), 'utf8'), /'\/srv\/programs\/images\/applets\/nc\.js'/);
});

test('a temporary tree left by a dead assembler is removed by the next assembly', () => {
  const at = join(dir, 'stale');
  assembleRoot('busybox', at);
  // pid 2^22 + 1 is above pid_max's ceiling: no live process has it.
  const stale = join(at, `.busybox.tmp-${2 ** 22 + 1}-abc123`);
  const live = join(at, `.busybox.tmp-${process.pid}-def456`);
  for (const d of [stale, live]) writeFileSync(d, '');
  assembleRoot('e2e-test-images/agnhost', at);
  assert.ok(!existsSync(stale));
  assert.ok(existsSync(live), 'a live process’s tree is its own');
  rmSync(live);
});

test('two processes assembling the same root at once both end with one complete tree', async () => {
  const at = join(dir, 'race');
  const go = join(dir, 'race-go');
  const moduleUrl = new URL('../../../src/images/rootfs.js', import.meta.url).href;
  const planUrl = new URL('../../../src/images/root-plan.js', import.meta.url).href;
  // Each child plans first (the slow, cached part), says so, and assembles once told to go.
  const script = `
    const { assembleRoot } = await import(${JSON.stringify(moduleUrl)});
    const { rootPlan } = await import(${JSON.stringify(planUrl)});
    const { existsSync } = await import('node:fs');
    rootPlan('busybox');
    process.stderr.write('ready\\n');
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 1));
    process.stdout.write(assembleRoot('busybox', ${JSON.stringify(at)}));
  `;
  const children = [0, 1].map(() => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const ready = new Promise<void>((resolve) => child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('ready\n')) resolve();
    }));
    const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, '');
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) assert.equal(r.code, 0, r.err);
    assert.equal(results[0].out, results[1].out);
    const path = results[0].out;
    assert.deepEqual(readdirSync(at), [path.slice(at.length + 1)], 'one tree, no temporary leftovers');
    assert.deepEqual(tree(path), planTree('busybox'));
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  }
});

test('mounts: busybox for the userland, node and the programs for Node stand-ins, all read-only', () => {
  const programs = hostProgramsDir();
  const bb = imageMounts('busybox');
  assert.deepEqual(bb[0], { source: BUSYBOX, destination: CONTAINER_BUSYBOX, readonly: true });
  // nc is a Node script, so even the busybox image carries node.
  assert.ok(bb.some((m) => m.source === process.execPath && m.destination === CONTAINER_NODE));
  assert.ok(bb.some((m) => m.source === programs && m.destination === CONTAINER_PROGRAMS));

  const dns = imageMounts('coredns/coredns');
  assert.ok(!dns.some((m) => m.destination === CONTAINER_BUSYBOX), 'distroless: no shell');
  assert.ok(dns.some((m) => m.source === process.execPath && m.destination === CONTAINER_NODE));
  // The loader and libraries node needs are there, at the paths the loader looks in.
  for (const lib of sharedLibraries(process.execPath)) {
    assert.ok(dns.some((m) => m.source === lib.file && m.destination === lib.path), lib.path);
  }

  for (const key of Object.keys(BUILTIN_ROOTS)) {
    const mounts = imageMounts(key);
    assert.equal(new Set(mounts.map((m) => m.destination)).size, mounts.length, `${key}: one mount per destination`);
    for (const m of mounts) {
      assert.equal(m.readonly, true);
      assert.ok(m.destination.startsWith('/') && existsSync(m.source), `${key}: ${m.source} -> ${m.destination}`);
      // tsc's output imports packages by name; the bundles do not need node_modules.
      if (m.destination.endsWith('/node_modules')) assert.ok(!programs.endsWith('/programs'));
    }
  }
  // Every mountpoint is already in the root (a read-only root cannot grow one).
  const r = root('curlimages/curl');
  for (const m of imageMounts('curlimages/curl')) {
    const st = statSync(join(r, m.destination));
    assert.equal(st.isDirectory(), statSync(m.source).isDirectory(), m.destination);
  }
});

test('toContainerPaths maps mounted host paths in an argv, and leaves the rest', () => {
  const mounts = imageMounts('e2e-test-images/agnhost');
  const programs = hostProgramsDir();
  assert.deepEqual(
    toContainerPaths([process.execPath, '--max-semi-space-size=1', join(programs, 'images/servers/agnhost.js'), 'netexec', '/tmp'], mounts),
    [CONTAINER_NODE, '--max-semi-space-size=1', `${CONTAINER_PROGRAMS}/images/servers/agnhost.js`, 'netexec', '/tmp'],
  );
  assert.deepEqual(toContainerPaths([BUSYBOX, 'sh', '-c', `exec ${BUSYBOX} true`], mounts), [CONTAINER_BUSYBOX, 'sh', '-c', `exec ${BUSYBOX} true`]);
});

test('parseLdd reads libraries and the loader, skipping the vdso', () => {
  const out = [
    '\tlinux-vdso.so.1 (0x00007ffd5a9f2000)',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f2277400000)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f227713e000)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f2277674000)',
    '',
  ].join('\n');
  assert.deepEqual(parseLdd(out), ['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  assert.deepEqual(parseLdd('\tnot a dynamic executable\n'), []);
});

test('host argv in container paths: whole arguments, prefixes, and paths quoted inside a script', () => {
  const mounts = [
    { source: '/usr/bin/node', destination: '/usr/local/bin/node', readonly: true },
    { source: '/work/dist/programs', destination: '/opt/skiff/programs', readonly: true },
    { source: '/same', destination: '/same', readonly: true },
  ];
  assert.deepEqual(toContainerArgv(['/usr/bin/node', '/work/dist/programs/x.js', '--flag=/usr/bin/node', '/usr/bin/nodejs'], mounts), [
    '/usr/local/bin/node',
    '/opt/skiff/programs/x.js',
    '--flag=/usr/local/bin/node',
    '/usr/bin/nodejs',
  ]);
  const script = `case "$1" in\n  nginx) shift; set -- '/usr/bin/node' '/work/dist/programs/s.js' "$@" ;;\nesac\nexec "$@"\n`;
  assert.equal(toContainerArgv([script], mounts)[0], script.replace("'/usr/bin/node'", "'/usr/local/bin/node'").replace("'/work/dist/programs/s.js'", "'/opt/skiff/programs/s.js'"));
});
