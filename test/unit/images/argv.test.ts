import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, appletArgv, busyboxApplets } from '../../../src/images/busybox.js';
import { containerArgv, containerPath, type ImageConfig } from '../../../src/images/index.js';
import { argvFor, start, tempDirs } from './helpers.js';

const image: ImageConfig = { entrypoint: ['/ep', 'x'], cmd: ['c1', 'c2'] };

test('command replaces ENTRYPOINT and drops CMD; args replace CMD (containerd rules)', () => {
  assert.deepEqual(containerArgv(image), ['/ep', 'x', 'c1', 'c2']);
  assert.deepEqual(containerArgv(image, undefined, ['a']), ['/ep', 'x', 'a']);
  assert.deepEqual(containerArgv(image, ['/cmd']), ['/cmd']);
  assert.deepEqual(containerArgv(image, ['/cmd'], ['a', 'b']), ['/cmd', 'a', 'b']);
  assert.deepEqual(containerArgv(image, [], []), ['/ep', 'x', 'c1', 'c2']);
  assert.deepEqual(containerArgv({ entrypoint: [], cmd: [] }), []);
});

test("argv[0] becomes a host program: the image's own, a busybox applet, or a host file", () => {
  const agn = argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', '--http-port=8080']);
  assert.equal(agn[0], process.execPath);
  assert.match(agn.at(-3)!, /dist\/src\/images\/servers\/agnhost\.js$/);
  assert.deepEqual(agn.slice(-2), ['netexec', '--http-port=8080']);
  assert.ok(existsSync(agn.at(-3)!));
  // The same program when the pod names it by its path in the image.
  assert.deepEqual(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', ['/agnhost', 'pause']).slice(0, -1), agn.slice(0, -2));

  assert.deepEqual(argvFor('busybox'), appletArgv('sh', []));
  assert.deepEqual(argvFor('busybox', ['sleep', '3600']), appletArgv('sleep', ['3600']));
  assert.deepEqual(argvFor('busybox', ['/bin/sleep', '1']), appletArgv('sleep', ['1']));
  // Debian-based images keep the host's own /bin/sh; bare names go through PATH order.
  assert.deepEqual(argvFor('nginx', ['/bin/sh', '-c', 'true']), ['/bin/sh', '-c', 'true']);
  assert.deepEqual(argvFor('nginx', ['curl', '-s']), ['/usr/bin/curl', '-s']);
  assert.deepEqual(argvFor('nginx', ['no-such-program-here']), ['no-such-program-here']);
  const sleep = argvFor('kiamol/ch03-sleep');
  assert.deepEqual(sleep.slice(0, 3), appletArgv('sh', ['-c']));
});

test('containerPath links every busybox applet, idempotently', () => {
  const { clusterDir } = tempDirs();
  const path = containerPath(clusterDir);
  const dir = join(clusterDir, 'images', 'bin');
  assert.equal(path, `${dir}:/usr/local/bin:/usr/bin:/bin`);
  // Each applet links to the busybox that plays it; nc and busybox are scripts (nc.test.ts).
  for (const applet of ['sh', 'sleep', 'wget', 'nslookup', 'ping', 'httpd']) {
    assert.equal(readlinkSync(join(dir, applet)), appletArgv(applet, [])[0], applet);
  }
  assert.equal(readlinkSync(join(dir, 'wget')), BUSYBOX);
  const count = readdirSync(dir).length;
  assert.equal(count, new Set([...busyboxApplets(), 'nc', 'busybox']).size);
  unlinkSync(join(dir, 'wget'));
  unlinkSync(join(dir, 'nc'));
  assert.equal(containerPath(clusterDir), path);
  assert.equal(readdirSync(dir).length, count);
  const out = execFileSync('sh', ['-c', 'command -v wget; echo $(basename "$(readlink "$(command -v nslookup)")")'], {
    env: { PATH: path },
    encoding: 'utf8',
  });
  assert.equal(out, `${join(dir, 'wget')}\nbusybox\n`);
});

test('busybox runs its shell; curlimages/curl runs curl for options-only args', () => {
  const { clusterDir } = tempDirs();
  const env = { PATH: containerPath(clusterDir) };
  assert.equal(execFileSync(argvFor('busybox')[0], [...argvFor('busybox').slice(1), '-c', 'echo hi'], { env, encoding: 'utf8' }), 'hi\n');
  const curl = argvFor('curlimages/curl', undefined, ['--version']);
  assert.match(execFileSync(curl[0], curl.slice(1), { env, encoding: 'utf8' }), /^curl \d/);
  // A program name as first arg runs that program instead.
  const sh = argvFor('curlimages/curl', undefined, ['sh', '-c', 'echo via-entrypoint']);
  assert.equal(execFileSync(sh[0], sh.slice(1), { env, encoding: 'utf8' }), 'via-entrypoint\n');
});

test("kiamol/ch03-sleep's default command idles until SIGTERM", async () => {
  const { clusterDir } = tempDirs();
  const running = start(argvFor('kiamol/ch03-sleep'), { PATH: containerPath(clusterDir) });
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
