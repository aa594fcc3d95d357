import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveImage } from '../../../src/images/index.js';
import { fullReference, lookupKeys, parseReference } from '../../../src/images/reference.js';
import { tempDirs } from './helpers.js';

test('every scenario image resolves, with or without registry host, any tag or digest', () => {
  const dirs = tempDirs();
  for (const image of [
    'registry.k8s.io/echoserver:1.4',
    'k8s.gcr.io/echoserver:1.4',
    'echoserver',
    'gcr.io/google_containers/echoserver:1.4',
    'hashicorp/http-echo',
    'docker.io/hashicorp/http-echo:1.0',
    'registry.k8s.io/e2e-test-images/agnhost:2.39',
    'registry.k8s.io/e2e-test-images/agnhost:2.53',
    'nginx',
    'nginx:1.27',
    'docker.io/library/nginx:1.25.3-alpine',
    'index.docker.io/library/nginx@sha256:' + 'a'.repeat(64),
    'busybox',
    'busybox:1.36',
    'kiamol/ch03-sleep',
    'curlimages/curl:8.5.0',
    'registry.k8s.io/hpa-example',
  ]) {
    const r = resolveImage(image, dirs);
    assert.equal(r.ok, true, `${image}: ${r.ok ? '' : r.message}`);
  }
});

test('image references normalize like containerd', () => {
  assert.equal(fullReference(parseReference('nginx')), 'docker.io/library/nginx:latest');
  assert.equal(fullReference(parseReference('foo:1')), 'docker.io/library/foo:1');
  assert.equal(fullReference(parseReference('localhost:5000/a/b')), 'localhost:5000/a/b:latest');
  assert.equal(fullReference(parseReference('quay.io/x/y@sha256:' + 'b'.repeat(64))), `quay.io/x/y@sha256:${'b'.repeat(64)}`);
  assert.deepEqual(lookupKeys(parseReference('registry.k8s.io/echoserver:1.4')), [
    'registry.k8s.io/echoserver:1.4',
    'echoserver:1.4',
    'registry.k8s.io/echoserver',
    'echoserver',
  ]);
  assert.throws(() => parseReference('Foo'), /repository name \(library\/Foo\) must be lowercase/);
  assert.throws(() => parseReference('a b'), /invalid reference format/);
  assert.throws(() => parseReference('nginx:'), /invalid reference format/);
});

test('an unknown image fails with ErrImagePull, containerd wording, and how to map it', () => {
  const dirs = tempDirs();
  const r = resolveImage('foo:1', dirs);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.reason, 'ErrImagePull');
  assert.match(r.message, /^rpc error: code = NotFound desc = failed to pull and unpack image "docker\.io\/library\/foo:1": failed to resolve reference "docker\.io\/library\/foo:1": /);
  assert.ok(r.message.includes(join(dirs.home, 'images.yaml')), r.message);
  assert.ok(r.message.includes('foo: { command: ['), r.message);
  const q = resolveImage('quay.io/team/tool', dirs);
  assert.ok(!q.ok && q.message.includes('quay.io/team/tool: { command: ['), q.ok ? '' : q.message);
});

test('an unparsable image name is InvalidImageName with the kubelet message', () => {
  const r = resolveImage('ACTOKEY', tempDirs());
  assert.deepEqual(r, {
    ok: false,
    reason: 'InvalidImageName',
    message:
      'Failed to apply default image tag "ACTOKEY": couldn\'t parse image name "ACTOKEY": invalid reference format: repository name (library/ACTOKEY) must be lowercase',
  });
});

test('user-mapped images: home file, cluster file wins, tags and hosts, errors name the file', () => {
  const dirs = tempDirs();
  mkdirSync(dirs.clusterDir, { recursive: true });
  writeFileSync(
    join(dirs.home, 'images.yaml'),
    [
      'myorg/web:',
      '  command: ["/usr/bin/python3", "-m", "http.server"]',
      '  args: ["8080"]',
      '  workingDir: /tmp',
      '  env: { GREETING: hello, N: 3 }',
      'myorg/web:2.0:',
      '  command: ["/bin/true"]',
      'registry.example.com/team/tool:',
      '  command: ["/bin/echo", "tool"]',
      'broken/one:',
      '  command: "not a list"',
      'nginx:',
      '  command: ["/usr/sbin/nginx"]',
    ].join('\n'),
  );
  const web = resolveImage('docker.io/myorg/web:1.0', dirs);
  assert.deepEqual(web, {
    ok: true,
    image: {
      entrypoint: ['/usr/bin/python3', '-m', 'http.server'],
      cmd: ['8080'],
      workingDir: '/tmp',
      env: { GREETING: 'hello', N: '3' },
      // The root shows the host paths the entry names (the rest of the host stays out of it).
      root: { key: 'skiff/host-program', hostPaths: ['/usr/bin/python3', '/tmp'] },
    },
  });
  const tagged = resolveImage('myorg/web:2.0', dirs);
  assert.ok(tagged.ok && tagged.image.entrypoint[0] === '/bin/true');
  assert.ok(resolveImage('registry.example.com/team/tool:3', dirs).ok);
  // A key with a registry host does not match the same path on another registry.
  assert.equal(resolveImage('team/tool', dirs).ok, false);
  // User maps override the built-in catalog.
  const nginx = resolveImage('nginx:1.27', dirs);
  assert.ok(nginx.ok && nginx.image.entrypoint[0] === '/usr/sbin/nginx');
  const broken = resolveImage('broken/one', dirs);
  assert.ok(!broken.ok && broken.reason === 'ErrImagePull' && broken.message.includes('command must be a non-empty list of strings'));
  assert.ok(!broken.ok && broken.message.includes(join(dirs.home, 'images.yaml')));

  writeFileSync(join(dirs.clusterDir, 'images.yaml'), 'myorg/web:\n  command: ["/bin/cluster"]\n');
  const fromCluster = resolveImage('myorg/web', dirs);
  assert.ok(fromCluster.ok && fromCluster.image.entrypoint[0] === '/bin/cluster');

  writeFileSync(join(dirs.clusterDir, 'images.yaml'), 'myorg/web: [unclosed\n');
  const bad = resolveImage('myorg/web', dirs);
  assert.ok(!bad.ok && bad.message.includes(`reading image map ${join(dirs.clusterDir, 'images.yaml')}`), bad.ok ? '' : bad.message);
});
