import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { containerArgv, resolveImage } from '../../../src/images/index.js';
import { CONTROLLER_ARGS, CONTROLLER_IMAGE } from '../../../src/controllers/addons/ingress-nginx.js';
import { argvFor } from './helpers.js';

const ctx = { home: '/h', clusterDir: '/h/clusters/c1' };

for (const image of [CONTROLLER_IMAGE, 'ingress-nginx/controller:v1.9.4', 'registry.k8s.io/ingress-nginx/controller:v1.11.0@sha256:' + 'a'.repeat(64)]) {
  test(`${image} resolves to the built-in ingress controller image`, () => {
    const r = resolveImage(image, ctx);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.image.entrypoint, ['/usr/bin/dumb-init', '--']);
    assert.deepEqual(r.image.cmd, ['/nginx-ingress-controller']);
  });
}

/** What the program would be started with: the argv the kubelet gets, run through the image's dumb-init script with `echo` in place of exec. */
function finalArgv(argv: string[]): string[] {
  const [sh, applet, flag, script, name, ...rest] = argv;
  assert.equal(applet, 'sh');
  assert.equal(flag, '-c');
  const echoed = script.replace(/\nexec "\$@"\n$/, '\nprintf "%s\\n" "$@"\n');
  assert.notEqual(echoed, script, 'the script ends by exec-ing its arguments');
  const r = spawnSync(sh, ['sh', '-c', echoed, name, ...rest], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').slice(0, -1);
}

test('the Deployment args reach the ingress program as they are, dumb-init and the program path gone', () => {
  const r = resolveImage(CONTROLLER_IMAGE, ctx);
  assert.ok(r.ok);
  const argv = finalArgv(argvFor(CONTROLLER_IMAGE, undefined, CONTROLLER_ARGS));
  assert.equal(argv[0], process.execPath);
  const script = argv.findIndex((a) => a.endsWith('.js'));
  assert.match(argv[script], /addons\/ingress\/main\.js$/);
  assert.deepEqual(argv.slice(script + 1), CONTROLLER_ARGS.slice(1), 'nothing of the host (no cluster dir) is passed');
});

test('a command naming the controller directly runs it too', () => {
  const r = resolveImage(CONTROLLER_IMAGE, ctx);
  assert.ok(r.ok);
  const argv = containerArgv(r.image, ['/nginx-ingress-controller'], ['--ingress-class=nginx']);
  assert.match(argv.find((a) => a.endsWith('.js'))!, /addons\/ingress\/main\.js$/);
  assert.deepEqual(argv.slice(-1), ['--ingress-class=nginx']);
});
