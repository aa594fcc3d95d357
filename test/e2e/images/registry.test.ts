// Real images from a registry on this machine's loopback (issue 15): built by the test from a
// rootfs it makes, pushed with skopeo, pulled by the node agent in the host's network namespace,
// and run under runc on an overlay of their layers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { buildAndPush, buildAndPushIndex, saveDockerArchive, layerDigests, layerMediaTypes, missingTools, registryBlobFile, startRegistry, type ImageSpec, type Registry } from './registry-fixture.js';

const skip = missingTools() ?? false;
const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-e2e-'));
let c: Cluster;
let reg: Registry;
let secured: Registry;
/** Accepts connections and never answers: a registry that stalls. */
let stalled: Server;
const stalledSockets = new Set<Socket>();
const CREDS = { username: 'tester', password: 's3cret' };

const APP: ImageSpec = {
  layers: [
    { files: { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n', 'etc/group': 'root:x:0:\napp:x:1000:\n', 'www/index.html': 'hello from the image\n', 'www/old.txt': 'removed in layer 2\n', 'www/sub/a': 'a\n' } },
    { remove: ['www/old.txt', 'www/sub'], files: { 'www/sub/b': 'b\n' } },
  ],
  entrypoint: ['/bin/httpd', '-f', '-p', '8080'],
  cmd: ['-h', '/www'],
  env: ['GREETING=hi', 'PATH=/bin'],
  workingDir: '/www',
  user: 'app',
};

before(async () => {
  if (skip) return;
  reg = await startRegistry(join(dir, 'registry'));
  secured = await startRegistry(join(dir, 'secured'), CREDS);
  await buildAndPush(join(dir, 'app'), APP, reg.host, 'team/app:1.0');
  await buildAndPush(join(dir, 'broken'), { layers: [{ files: { 'broken.txt': 'x' } }], entrypoint: ['/bin/sleep', '3600'] }, reg.host, 'team/broken:1.0');
  await buildAndPush(join(dir, 'private'), { layers: [{ files: { 'private.txt': 'p' } }], entrypoint: ['/bin/sleep', '3600'] }, secured.host, 'team/private:1.0', CREDS);
  await buildAndPushIndex(
    join(dir, 'multi'),
    {
      arm64: { layers: [{ files: { 'arch.txt': 'arm64\n' } }], entrypoint: ['/bin/sleep', '3600'] },
      amd64: { layers: [{ files: { 'arch.txt': 'amd64\n' } }], entrypoint: ['/bin/sleep', '3600'] },
    },
    reg.host,
    'team/multi:1.0',
  );
  stalled = createServer((s) => {
    stalledSockets.add(s);
    s.on('close', () => stalledSockets.delete(s));
  });
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  // A short pull deadline, so the stalled registry fails the pull within the test's patience.
  c = await startCluster('img', { nodes: 1, env: { SKIFF_IMAGE_PULL_TIMEOUT: '3s' }, upArgs: ['--images', 'auto'] });
});

after(async () => {
  await c?.down();
  await reg?.stop();
  await secured?.stop();
  for (const s of stalledSockets) s.destroy();
  await new Promise((r) => (stalled ? stalled.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

async function events(name: string): Promise<string> {
  return c.ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

async function waitingReason(pod: string): Promise<string> {
  return (await c.kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}'])).stdout;
}

test('a Deployment of a registry image is Ready, serves through its Service, and exec sees the image', { skip }, async () => {
  const image = `${reg.host}/team/app:1.0`;
  await c.ok(['create', 'deployment', 'app', `--image=${image}`, '--port=8080']);
  await c.ok(['expose', 'deployment', 'app', '--port=80', '--target-port=8080']);
  await c.ok(['rollout', 'status', 'deployment/app', '--timeout=90s']);

  const pod = (await c.ok(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const ev = await events(pod);
  assert.match(ev, new RegExp(`Normal\\s+Pulling\\s+Pulling image "${image}"`));
  assert.match(ev, new RegExp(`Normal\\s+Pulled\\s+Successfully pulled image "${image}" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.`));

  const exec = (cmd: string) => c.ok(['exec', pod, '--', 'sh', '-c', cmd]);
  // The image's layers with the second's whiteouts applied, not the host's root.
  assert.equal((await exec('ls /www /www/sub')).trim(), '/www:\nindex.html\nsub\n\n/www/sub:\nb');
  assert.match(await exec('cat /etc/passwd'), /^root:x:0:0:root:\/root:\/bin\/sh\napp:x:1000/);
  // ENV, WORKDIR and USER from the image config.
  assert.equal((await exec('echo "$GREETING $(pwd) $(id -u):$(id -g)"')).trim(), 'hi /www 1000:1000');

  const ip = (await c.ok(['get', 'service', 'app', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  await waitFor('the Service to answer', async () => (await c.kubectl(['exec', pod, '--', 'wget', '-qO-', '-T', '2', `http://${ip}/index.html`])).stdout === 'hello from the image\n', 60_000);

  // Status carries the image as pulled: its reference and the digest it resolved to.
  const imageID = await c.ok(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].imageID}']);
  assert.match(imageID, /sha256:[0-9a-f]{64}/);
});

test('a tag the registry does not have: ErrImagePull saying not found, then ImagePullBackOff', { skip }, async () => {
  const image = `${reg.host}/team/app:missing`;
  await c.ok(['run', 'missing-tag', `--image=${image}`]);
  await waitFor('ErrImagePull or ImagePullBackOff', async () => ['ErrImagePull', 'ImagePullBackOff'].includes(await waitingReason('missing-tag')), 60_000);
  const ev = await events('missing-tag');
  assert.ok(ev.includes(`Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`), ev);
  await waitFor('ImagePullBackOff', async () => (await waitingReason('missing-tag')) === 'ImagePullBackOff', 60_000);
});

test('a corrupted layer fails digest verification and leaves nothing in the store', { skip }, async () => {
  const [layer] = await layerDigests(reg.host, 'team/broken:1.0');
  writeFileSync(registryBlobFile(reg.dataDir, layer), 'not the layer that was pushed');
  await c.ok(['run', 'broken', `--image=${reg.host}/team/broken:1.0`]);
  await waitFor('the verification failure', async () => (await events('broken')).includes(`failed to verify ${layer}`), 60_000);
  assert.match(await events('broken'), /unexpected commit digest sha256:[0-9a-f]{64}, expected sha256:/);
  const home = c.env.SKIFF_HOME!;
  const r = await c.kubectl(['get', 'pod', 'broken', '-o', 'jsonpath={.status.phase}']);
  assert.equal(r.stdout, 'Pending');
  const { readdirSync, existsSync } = await import('node:fs');
  assert.equal(existsSync(join(home, 'images', 'layers', 'sha256', layer.slice('sha256:'.length))), false);
  assert.deepEqual(readdirSync(join(home, 'images', 'tmp')), []);
});

test('token auth: a wrong password is ErrImagePull with the 401, the right one in an imagePullSecret pulls', { skip }, async () => {
  const image = `${secured.host}/team/private:1.0`;
  const secret = (password: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `creds-${password}` },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${CREDS.username}:${password}`).toString('base64') } } })).toString('base64') },
  });
  const pod = (name: string, password: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { imagePullSecrets: [{ name: `creds-${password}` }], containers: [{ name: 'c', image }] },
  });
  await c.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [secret('wrong'), secret(CREDS.password), pod('wrong-password', 'wrong'), pod('right-password', CREDS.password)] }));
  await waitFor('the 401', async () => (await events('wrong-password')).includes('401 Unauthorized'), 60_000);
  assert.match(await events('wrong-password'), /failed to fetch oauth token: unexpected status from GET request to http:\/\/127\.0\.0\.1:\d+\/token\?.*: 401 Unauthorized: unauthorized: authentication required: wrong username or password/);
  await c.ok(['wait', '--for=condition=Ready', 'pod/right-password', '--timeout=60s']);
});

test('zstd layers: an image pushed with zstd-compressed layers runs, with its whiteouts applied', { skip }, async () => {
  const spec: ImageSpec = {
    layers: [{ files: { 'data/kept': 'first layer\n', 'data/gone': 'removed by the second\n' } }, { remove: ['data/gone'], files: { 'data/top': 'second layer\n' } }],
    entrypoint: ['/bin/sleep', '3600'],
    compression: 'zstd',
  };
  await buildAndPush(join(dir, 'zstd'), spec, reg.host, 'team/zstd:1.0');
  assert.ok((await layerMediaTypes(reg.host, 'team/zstd:1.0')).every((t) => t === 'application/vnd.oci.image.layer.v1.tar+zstd'));
  await c.ok(['run', 'zstd', `--image=${reg.host}/team/zstd:1.0`]);
  await c.ok(['wait', '--for=condition=Ready', 'pod/zstd', '--timeout=60s']);
  assert.equal(await c.ok(['exec', 'zstd', '--', 'ls', '/data']), 'kept\ntop\n');
  assert.equal(await c.ok(['exec', 'zstd', '--', 'cat', '/data/kept', '/data/top']), 'first layer\nsecond layer\n');
});

test('imagePullPolicy Never with the image absent: ErrImageNeverPull', { skip }, async () => {
  const image = `${reg.host}/team/app:never`;
  await c.ok(['run', 'never', `--image=${image}`, '--image-pull-policy=Never']);
  await waitFor('ErrImageNeverPull', async () => (await waitingReason('never')) === 'ErrImageNeverPull', 60_000);
  assert.match(await events('never'), new RegExp(`Warning\\s+ErrImageNeverPull\\s+Container image "${image}" is not present with pull policy of Never`));
});

test("a multi-arch index runs this machine's platform", { skip: skip || (process.arch !== 'x64' && 'the index holds amd64 and arm64') }, async () => {
  await c.ok(['run', 'multi', `--image=${reg.host}/team/multi:1.0`]);
  await c.ok(['wait', '--for=condition=Ready', 'pod/multi', '--timeout=60s']);
  assert.equal(await c.ok(['exec', 'multi', '--', 'cat', '/arch.txt']), 'amd64\n');
});

test('a registry that stalls: the pull times out with ErrImagePull saying so', { skip }, async () => {
  const port = (stalled.address() as { port: number }).port;
  const image = `127.0.0.1:${port}/team/stalls:1.0`;
  await c.ok(['run', 'stalls', `--image=${image}`]);
  await waitFor('the timeout', async () => (await events('stalls')).includes('timeout awaiting response headers'), 60_000);
  assert.ok((await events('stalls')).includes(`Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to do request: Get "http://${image.replace('/team/stalls:1.0', '')}/v2/team/stalls/manifests/1.0": net/http: timeout awaiting response headers`));
});

test('skiff load of a docker save archive: pods with IfNotPresent run it without a registry', { skip }, async () => {
  const archive = join(dir, 'saved.tar');
  await saveDockerArchive(join(dir, 'saved'), { layers: [{ files: { 'www/index.html': 'loaded\n' } }], entrypoint: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'] }, archive, 'myorg/loaded:1.0');
  const r = await c.skiff(['load', '--name', c.name, archive]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Image: "docker\.io\/myorg\/loaded:1\.0" with ID "sha256:[0-9a-f]{64}" loaded \(\d+ bytes\)\n$/);
  await c.ok(['run', 'loaded', '--image=myorg/loaded:1.0', '--image-pull-policy=IfNotPresent']);
  await c.ok(['wait', '--for=condition=Ready', 'pod/loaded', '--timeout=60s']);
  assert.match(await events('loaded'), /Container image "myorg\/loaded:1\.0" already present on machine/);
  assert.equal(await c.ok(['exec', 'loaded', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/index.html']), 'loaded\n');
});

test("runAsNonRoot is checked against the image's user: a name cannot be verified, a numeric runAsUser can", { skip }, async () => {
  const image = `${reg.host}/team/app:1.0`;
  const pod = (name: string, sc: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { securityContext: sc, containers: [{ name: 'c', image }] } });
  await c.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('named-user', { runAsNonRoot: true }), pod('numeric-user', { runAsNonRoot: true, runAsUser: 1000 })] }));
  await waitFor('CreateContainerConfigError', async () => (await waitingReason('named-user')) === 'CreateContainerConfigError', 60_000);
  const message = (await c.ok(['get', 'pod', 'named-user', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}'])).trim();
  assert.equal(message, 'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: "named-user_default(' + (await c.ok(['get', 'pod', 'named-user', '-o', 'jsonpath={.metadata.uid}'])).trim() + ')", container: c)');
  await c.ok(['wait', '--for=condition=Ready', 'pod/numeric-user', '--timeout=60s']);
  assert.equal((await c.ok(['exec', 'numeric-user', '--', 'id', '-u'])).trim(), '1000');
});
