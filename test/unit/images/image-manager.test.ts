import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageManager, type ImagesMode, type Puller } from '../../../src/images/image-manager.js';
import type { ImageConfig } from '../../../src/images/config.js';
import { fullReference } from '../../../src/images/reference.js';
import { PullError } from '../../../src/images/registry/pull-error.js';
import { sha256Digest } from '../../../src/images/store/digest.js';
import { ImageStore, type StoredImage } from '../../../src/images/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-image-manager-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function stored(reference: string): StoredImage {
  return {
    reference,
    digest: sha256Digest(`manifest ${reference}`),
    id: sha256Digest(`config ${reference}`),
    layers: [],
    size: 1234,
    config: { Entrypoint: ['/real'], Cmd: ['--serve'], Env: ['A=1', 'PATH=/bin'], WorkingDir: '/srv', User: '1000' },
    storedAt: new Date().toISOString(),
  };
}

function setup(mode: ImagesMode, puller: Puller, prepareStandIn?: (image: ImageConfig) => void) {
  const home = join(dir, `home${n++}`);
  const clusterDir = join(home, 'clusters', 'c');
  mkdirSync(clusterDir, { recursive: true });
  const store = new ImageStore(home);
  const calls: string[] = [];
  const timeouts: (number | undefined)[] = [];
  const m = new ImageManager({
    mode,
    store,
    home,
    clusterDir,
    puller: (ref, creds, timeoutMs) => {
      calls.push(`${fullReference(ref)}${creds.length ? ` as ${creds[0].username}` : ''}`);
      timeouts.push(timeoutMs);
      return puller(ref, creds);
    },
    prepareStandIn,
  });
  const pulling: string[] = [];
  const ensure = (image: string, pullPolicy?: string, pullSecrets: string[] = []) => m.ensure({ image, pullPolicy, pullSecrets, onPulling: () => pulling.push(image) });
  return { m, store, calls, timeouts, pulling, ensure, home, clusterDir };
}

const pulls: (store: () => ImageStore) => Puller = (store) => async (ref) => {
  const img = stored(fullReference(ref));
  store().put(img);
  return img;
};
const unreachable: Puller = async (ref) => {
  throw new PullError('Unknown', `failed to pull and unpack image "${fullReference(ref)}": failed to resolve reference: dial tcp: lookup ${ref.domain}: no such host`, true);
};
const notFound: Puller = async (ref) => {
  throw new PullError('NotFound', `failed to pull and unpack image "${fullReference(ref)}": not found`);
};

test('a registry image is pulled, then present for IfNotPresent and pulled again for Always', async () => {
  let store!: ImageStore;
  const s = setup('auto', pulls(() => store));
  store = s.store;
  const r = await s.ensure('localhost:5000/team/app:1.0', 'IfNotPresent');
  assert.ok(r.ok && r.pulled && r.pulled.size === 1234 && !r.standIn);
  assert.deepEqual(s.pulling, ['localhost:5000/team/app:1.0']);
  assert.ok(r.ok);
  // The image config as the kubelet composes containers from it.
  assert.deepEqual([r.image.entrypoint, r.image.cmd, r.image.env, r.image.workingDir, r.image.stored?.user], [['/real'], ['--serve'], { A: '1', PATH: '/bin' }, '/srv', '1000']);
  const again = await s.ensure('localhost:5000/team/app:1.0', 'IfNotPresent');
  assert.ok(again.ok && !again.pulled);
  await s.ensure('localhost:5000/team/app:1.0', 'Always');
  assert.equal(s.calls.length, 2);
});

test('Never: a stored image runs, an absent one is ErrImageNeverPull in the kubelet words', async () => {
  const s = setup('registry', notFound);
  s.store.put(stored('localhost:5000/team/app:1.0'));
  assert.ok((await s.ensure('localhost:5000/team/app:1.0', 'Never')).ok);
  assert.deepEqual(await s.ensure('localhost:5000/team/app:2.0', 'Never'), {
    ok: false,
    reason: 'ErrImageNeverPull',
    message: 'Container image "localhost:5000/team/app:2.0" is not present with pull policy of Never',
  });
  assert.deepEqual(s.calls, []);
});

test('the pull policy defaults to Always for :latest and no tag, IfNotPresent otherwise', async () => {
  let store!: ImageStore;
  const s = setup('registry', pulls(() => store));
  store = s.store;
  s.store.put(stored('localhost:5000/a:latest'));
  s.store.put(stored('localhost:5000/a:1'));
  await s.ensure('localhost:5000/a');
  await s.ensure('localhost:5000/a:1');
  assert.deepEqual(s.calls, ['localhost:5000/a:latest']);
});

test('pull errors are ErrImagePull with the gRPC status containerd gives', async () => {
  const s = setup('auto', notFound);
  const r = await s.ensure('localhost:5000/team/app:9');
  assert.deepEqual(r, { ok: false, reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "localhost:5000/team/app:9": not found' });
});

test('imagePullSecrets: the credentials for the image registry are passed to the pull', async () => {
  let store!: ImageStore;
  const s = setup('auto', pulls(() => store));
  store = s.store;
  const config = JSON.stringify({ auths: { 'other.example': { auth: Buffer.from('x:y').toString('base64') }, 'localhost:5000': { username: 'me', password: 'pw' } } });
  await s.ensure('localhost:5000/team/app:1', undefined, [config]);
  assert.deepEqual(s.calls, ['localhost:5000/team/app:1 as me']);
});

test('auto: a catalog image whose registry is unreachable runs the stand-in and says so; the next pod does not wait for it again', async () => {
  const s = setup('auto', unreachable);
  const r = await s.ensure('nginx:1.27');
  assert.ok(r.ok && r.standIn?.kind === 'builtin' && r.image.root?.key === 'nginx', JSON.stringify(r));
  assert.match(r.standIn!.cause, /no such host/);
  const again = await s.ensure('nginx:1.27');
  assert.ok(again.ok && again.standIn?.kind === 'builtin');
  assert.equal(s.calls.length, 1, 'the unreachable registry is remembered');
  // A pull that can fall back is not kept waiting by a registry that hangs.
  assert.deepEqual(s.timeouts, [5_000]);
  // An image the catalog does not know fails as on any kubelet.
  const other = await s.ensure('myorg/app:1');
  assert.ok(!other.ok && other.reason === 'ErrImagePull' && other.message.includes('no such host'));
  assert.ok(!other.ok && other.message.includes(`skiff load\`, or map it to a host program in ${join(s.home, 'images.yaml')}`), other.ok ? '' : other.message);
});

test('auto: once the real image is stored it runs, also when the registry is unreachable', async () => {
  const s = setup('auto', unreachable);
  s.store.put(stored('docker.io/library/nginx:latest'));
  const r = await s.ensure('nginx', 'Always');
  assert.ok(r.ok && r.standIn?.kind === 'stored' && r.image.stored?.reference === 'docker.io/library/nginx:latest');
  const present = await s.ensure('nginx', 'IfNotPresent');
  assert.ok(present.ok && !present.standIn && present.image.stored);
});

test('auto: a reachable registry wins over the catalog; an error it answers is the pull error', async () => {
  let store!: ImageStore;
  const s = setup('auto', pulls(() => store));
  store = s.store;
  const r = await s.ensure('nginx:1.27');
  assert.ok(r.ok && r.pulled && r.image.stored);
  const nf = setup('auto', notFound);
  const missing = await nf.ensure('nginx:0.0.0-none');
  assert.ok(!missing.ok && missing.reason === 'ErrImagePull');
});

test("builtin: today's catalog, never a pull; registry: never the catalog; add-ons and images.yaml in every mode", async () => {
  const b = setup('builtin', notFound);
  const nginx = await b.ensure('nginx:1.27');
  assert.ok(nginx.ok && nginx.image.root?.key === 'nginx');
  const none = await b.ensure('myorg/app:1');
  assert.ok(!none.ok && none.reason === 'ErrImagePull' && none.message.includes('--images=builtin'));
  assert.deepEqual(b.calls, []);

  const r = setup('registry', unreachable);
  const real = await r.ensure('nginx:1.27');
  assert.ok(!real.ok && real.reason === 'ErrImagePull');
  const dns = await r.ensure('registry.k8s.io/coredns/coredns:v1.11.3', 'IfNotPresent');
  assert.ok(dns.ok && dns.image.root?.key === 'coredns/coredns');
  // Every add-on skiff installs is one of its programs: a real Envoy or metrics-server pulled under
  // the same name would not speak to skiff's istiod or kubelets.
  for (const addon of ['docker.io/istio/proxyv2:1.26.2', 'docker.io/istio/pilot:1.26.2', 'registry.k8s.io/metrics-server/metrics-server:v0.7.2']) {
    const got = await r.ensure(addon);
    assert.ok(got.ok, addon);
  }
  writeFileSync(join(r.home, 'images.yaml'), 'myorg/tool:\n  command: ["/bin/true"]\n');
  const mapped = await r.ensure('myorg/tool:1');
  assert.ok(mapped.ok && mapped.image.entrypoint[0] === '/bin/true');
  assert.deepEqual(r.calls, ['docker.io/library/nginx:1.27']);
});

test('an unparsable reference is InvalidImageName before anything else', async () => {
  const s = setup('auto', notFound);
  const r = await s.ensure('Not A Ref');
  assert.ok(!r.ok && r.reason === 'InvalidImageName');
  assert.deepEqual(s.calls, []);
});

test('concurrent pulls of one reference share a pull only when their credentials are the same', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let store!: ImageStore;
  const inner = pulls(() => store);
  const s = setup('auto', async (ref, creds) => {
    await gate;
    return inner(ref, creds);
  });
  store = s.store;
  const secret = (password: string) => JSON.stringify({ auths: { 'localhost:5000': { username: 'u', password } } });
  const all = Promise.all([s.ensure('localhost:5000/p:1', undefined, [secret('a')]), s.ensure('localhost:5000/p:1', undefined, [secret('a')]), s.ensure('localhost:5000/p:1', undefined, [secret('b')])]);
  await new Promise((r) => setImmediate(r));
  release();
  await all;
  assert.equal(s.calls.length, 2);
});

test('auto: the stand-in is readied while its registry is asked, only when nothing stored would run instead', async () => {
  let answered = false;
  const prepared: string[] = [];
  const slowUnreachable: Puller = async (ref, creds) => {
    await new Promise((r) => setImmediate(r));
    answered = true;
    return unreachable(ref, creds);
  };
  const s = setup('auto', slowUnreachable, (image) => prepared.push(`${image.root?.key} ${answered ? 'after' : 'during'} the pull`));
  const r = await s.ensure('nginx:1.27');
  assert.ok(r.ok && r.standIn?.kind === 'builtin');
  assert.deepEqual(prepared, ['nginx during the pull']);
  // A stored copy stands in before the catalog does: nothing to ready.
  s.store.put(stored('docker.io/library/busybox:latest'));
  const b = await s.ensure('busybox');
  assert.ok(b.ok && b.standIn?.kind === 'stored');
  // An image the catalog does not know, and the registry mode, have no stand-in.
  await s.ensure('myorg/app:1');
  const reg = setup('registry', unreachable, (image) => prepared.push(`registry ${image.root?.key}`));
  await reg.ensure('nginx:1.27');
  assert.deepEqual(prepared, ['nginx during the pull']);
});

test('auto: readying the stand-in may fail without failing the image; the pull decides', async () => {
  let store!: ImageStore;
  const s = setup('auto', pulls(() => store), () => {
    throw new Error('disk full');
  });
  store = s.store;
  const r = await s.ensure('nginx:1.27');
  assert.ok(r.ok && r.pulled && !r.standIn);
  const down = setup('auto', unreachable, () => {
    throw new Error('disk full');
  });
  const d = await down.ensure('nginx:1.27');
  assert.ok(d.ok && d.standIn?.kind === 'builtin');
});
