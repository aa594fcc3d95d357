import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentialsFor, parseChallenge } from '../../../../src/images/registry/auth.js';
import { isLoopbackHost, RegistryError, RepositoryClient } from '../../../../src/images/registry/client.js';
import { MEDIA, parseManifest, selectPlatform, type ImageIndex } from '../../../../src/images/registry/manifest.js';

test('WWW-Authenticate challenges as Docker Hub and ghcr.io send them', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
});

test('dockerconfigjson credentials match the registry host, Docker Hub aliases and repository prefixes', () => {
  const cfg = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
      'localhost:5000': { username: 'u', password: 'p' },
      'localhost:5000/team': { username: 'team', password: 't' },
      'quay.io': { auth: Buffer.from('q:x').toString('base64') },
    },
  });
  assert.deepEqual(credentialsFor(cfg, 'docker.io', 'library/nginx'), [{ username: 'hub', password: 'pw' }]);
  assert.deepEqual(credentialsFor(cfg, 'localhost:5000', 'team/app'), [{ username: 'team', password: 't' }, { username: 'u', password: 'p' }]);
  assert.deepEqual(credentialsFor(cfg, 'localhost:5000', 'other/app'), [{ username: 'u', password: 'p' }]);
  assert.deepEqual(credentialsFor(cfg, 'ghcr.io', 'x/y'), []);
  assert.deepEqual(credentialsFor('not json', 'ghcr.io', 'x/y'), []);
});

test('plain HTTP only for loopback registries', () => {
  for (const h of ['localhost:5000', '127.0.0.1:5055', '127.1.2.3', '[::1]:5000', 'localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['registry.k8s.io', 'docker.io', '10.0.0.1:5000', 'localhost.example.com']) assert.ok(!isLoopbackHost(h), h);
});

const INDEX = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [
      { mediaType: MEDIA.ociManifest, digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: MEDIA.ociManifest, digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MEDIA.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 1, platform: { os: 'windows', architecture: 'amd64' } },
    ],
  }),
);

test('indexes and manifest lists: the entry for linux/<arch> is picked', () => {
  const index = parseManifest(INDEX, '') as ImageIndex;
  assert.equal(index.kind, 'index');
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, `sha256:${'b'.repeat(64)}`);
  assert.throws(() => selectPlatform(index, { os: 'linux', architecture: 's390x' }), /no match for platform in manifest: not found/);
  const docker = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), MEDIA.dockerList);
  assert.equal(docker.kind, 'index');
});

test('Docker v2 and OCI manifests parse; schema 1 is refused as containerd refuses it', () => {
  const layer = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: `sha256:${'d'.repeat(64)}`, size: 10 };
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { ...layer, size: 2 }, layers: [layer] })), '');
  assert.equal(m.kind, 'manifest');
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] })), ''), /schema 1 support has been removed/);
  assert.throws(() => parseManifest(Buffer.from('{'), ''), /not JSON/);
});

// A registry that wants a Bearer token from its realm, which wants Basic credentials.
const tokens: string[] = [];
const server = createServer((req, res) => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (req.url?.startsWith('/token')) {
    const u = new URL(req.url, base);
    tokens.push(`${u.searchParams.get('service')} ${u.searchParams.get('scope')}`);
    if (req.headers.authorization !== `Basic ${Buffer.from('me:pw').toString('base64')}`) {
      res.writeHead(401).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    res.writeHead(200).end(JSON.stringify({ token: 'T0K' }));
    return;
  }
  if (req.headers.authorization !== 'Bearer T0K') {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test-registry",scope="repository:team/app:pull"` }).end();
    return;
  }
  if (req.url === '/v2/team/app/manifests/missing') {
    res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    return;
  }
  res.writeHead(200, { 'content-type': MEDIA.ociIndex }).end(INDEX);
});
after(() => server.close());

test('Bearer token auth following WWW-Authenticate, with the credentials of the pull secret', async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RepositoryClient(host, 'team/app', { credentials: [{ username: 'me', password: 'pw' }] });
  const res = await client.get(client.manifestURL('1.0'));
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), INDEX);
  assert.deepEqual(tokens, ['test-registry repository:team/app:pull']);

  await assert.rejects(client.get(client.manifestURL('missing')), (e: Error) => e instanceof RegistryError && e.status === 404 && /404 Not Found: manifest_unknown: manifest unknown/.test(e.message));

  const wrong = new RepositoryClient(host, 'team/app', { credentials: [{ username: 'me', password: 'nope' }] });
  await assert.rejects(wrong.get(wrong.manifestURL('1.0')), /failed to fetch oauth token: unexpected status from GET request to http:\/\/127\.0\.0\.1:\d+\/token\?.*: 401 Unauthorized: unauthorized: bad credentials/);

  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const down = new RepositoryClient(`127.0.0.1:${closedPort}`, 'team/app');
  await assert.rejects(down.get(down.manifestURL('1.0')), (e: Error) => e instanceof RegistryError && e.status === 0 && /connection refused/.test(e.message));
});
