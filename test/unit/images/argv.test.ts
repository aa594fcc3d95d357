import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX } from '../../../src/images/busybox.js';
import { containerArgv, resolveImage, type ImageConfig } from '../../../src/images/index.js';
import { CONTAINER_NODE } from '../../../src/images/root-mounts.js';
import { argvFor, containerArgvFor, start, tempDirs } from './helpers.js';

const image: ImageConfig = { entrypoint: ['/ep', 'x'], cmd: ['c1', 'c2'] };

test('command replaces ENTRYPOINT and drops CMD; args replace CMD (containerd rules)', () => {
  assert.deepEqual(containerArgv(image), ['/ep', 'x', 'c1', 'c2']);
  assert.deepEqual(containerArgv(image, undefined, ['a']), ['/ep', 'x', 'a']);
  assert.deepEqual(containerArgv(image, ['/cmd']), ['/cmd']);
  assert.deepEqual(containerArgv(image, ['/cmd'], ['a', 'b']), ['/cmd', 'a', 'b']);
  assert.deepEqual(containerArgv(image, [], []), ['/ep', 'x', 'c1', 'c2']);
  assert.deepEqual(containerArgv({ entrypoint: [], cmd: [] }), []);
});

test("the image's own programs become the argv that plays them, in the container's paths; others stay for the root's PATH", () => {
  const agn = containerArgvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', '--http-port=8080']);
  assert.equal(agn[0], CONTAINER_NODE);
  assert.match(agn.at(-3)!, /\/images\/servers\/agnhost\.js$/);
  assert.deepEqual(agn.slice(-2), ['netexec', '--http-port=8080']);
  // The programs appear at their host path (the bundles' main-module test compares it).
  assert.ok(existsSync(agn.at(-3)!));
  // The same program when the pod names it by its path in the image.
  assert.deepEqual(containerArgvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', ['/agnhost', 'pause']).slice(0, -1), agn.slice(0, -2));

  assert.deepEqual(containerArgvFor('busybox'), ['sh']);
  assert.deepEqual(containerArgvFor('busybox', ['sleep', '3600']), ['sleep', '3600']);
  assert.deepEqual(containerArgvFor('nginx', ['/bin/sh', '-c', 'true']), ['/bin/sh', '-c', 'true']);
  assert.deepEqual(containerArgvFor('nginx', ['no-such-program-here']), ['no-such-program-here']);
  // An entrypoint script runs in the image's shell and execs the image's program by its container path.
  const ep = containerArgvFor('nginx:1.27');
  assert.deepEqual(ep.slice(1, 3), ['sh', '-c']);
  assert.ok(ep[3].includes(`'${CONTAINER_NODE}'`), ep[3]);
});

test('a user-mapped image names the host paths its root shows', () => {
  const { home, clusterDir } = tempDirs();
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'images.yaml'), 'me/tool:\n  command: ["/opt/tool/bin/tool", "--x"]\n  workingDir: /srv/tool\n  files: ["/opt/tool/lib"]\n');
  const r = resolveImage('me/tool:1', { home, clusterDir });
  assert.ok(r.ok);
  assert.deepEqual(r.image.root, { key: 'skiff/host-program', hostPaths: ['/opt/tool/bin/tool', '/srv/tool', '/opt/tool/lib'] });
  assert.deepEqual(containerArgv(r.image), ['/opt/tool/bin/tool', '--x']);
  writeFileSync(join(home, 'images.yaml'), 'me/tool:\n  command: ["/x"]\n  files: ["relative"]\n');
  const bad = resolveImage('me/tool:1', { home, clusterDir });
  assert.ok(!bad.ok);
  assert.match(bad.message, /files must be a list of absolute paths/);
});

test('busybox runs its shell; curlimages/curl runs curl for options-only args', () => {
  const env = { PATH: '/usr/bin:/bin' };
  const sh = argvFor('busybox', ['/bin/busybox', 'sh']);
  assert.equal(execFileSync(sh[0], [...sh.slice(1), '-c', 'echo hi'], { env, encoding: 'utf8' }), 'hi\n');
  const curl = argvFor('curlimages/curl', undefined, ['--version']);
  assert.match(execFileSync(curl[0], curl.slice(1), { env, encoding: 'utf8' }), /^curl \d/);
  // A program name as first arg runs that program instead.
  const via = argvFor('curlimages/curl', undefined, ['sh', '-c', 'echo via-entrypoint']);
  assert.equal(execFileSync(via[0], via.slice(1), { env, encoding: 'utf8' }), 'via-entrypoint\n');
});

test("kiamol/ch03-sleep's default command idles until SIGTERM", async () => {
  // Its CMD runs /bin/sh; on the host that is the image's busybox shell.
  const cmd = argvFor('kiamol/ch03-sleep');
  assert.equal(cmd[0], '/bin/sh');
  const running = start([BUSYBOX, 'sh', ...cmd.slice(1)], { PATH: '/usr/bin:/bin' });
  const pid = running.child.pid!;
  // Wait until the shell has started its background sleep loop.
  const children = () => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  while (children() === '') {
    assert.equal(running.child.exitCode, null, running.stderr());
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(running.child.exitCode, null);
  process.kill(pid, 'SIGTERM');
  const { code } = await running.exited;
  assert.equal(code, 143);
  await running.stop();
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The loop went with it.
  }
});
