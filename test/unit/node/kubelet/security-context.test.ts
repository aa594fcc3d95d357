import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { ContainerConfigError } from '../../../../src/node/kubelet/env.js';
import {
  builtinImageIdentity, containerSecurity, CreateContainerError, effectiveSecurityContext, fsUserFrom,
  type ContainerFields, type ImageIdentity,
} from '../../../../src/node/kubelet/security-context.js';

const opts = { seccompRoot: '/nonexistent/seccomp' };
const root: ImageIdentity = {};
const pod = (spec: Record<string, unknown> = {}): KObject => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'u-1' },
  spec: { containers: [{ name: 'c' }], ...spec },
});
const ctr = (securityContext?: Record<string, unknown>): ContainerFields => ({ name: 'c', securityContext });

// An image with its own user database, as the built-in ones have (nginx-like: user 101 in group
// nginx, and listed as a member of two other groups).
const nginxLike: ImageIdentity = {
  user: { user: '', uid: 0, gid: 0, additionalGids: [0], home: '/root' },
  etc: {
    passwd: 'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx user:/nonexistent:/bin/false\n',
    group: 'root:x:0:\nnginx:x:101:\nwww:x:33:nginx\nlogs:x:4:nginx,root\n',
  },
};

test('defaults: root, RuntimeDefault seccomp, nothing else asked of the runtime', () => {
  const r = containerSecurity(pod(), ctr(), root, opts);
  assert.deepEqual(r.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(r.security, { seccomp: { type: 'RuntimeDefault' } });
  // Without --seccomp-default the kubelet asks for Unconfined.
  assert.deepEqual(containerSecurity(pod(), ctr(), root, { ...opts, seccompDefault: false }).security.seccomp, { type: 'Unconfined' });
});

test('container fields over pod fields; container-only fields pass through', () => {
  const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } } });
  const c = ctr({
    runAsUser: 2000, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, procMount: 'Default',
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
  });
  const eff = effectiveSecurityContext(p, c);
  assert.equal(eff.runAsUser, 2000);
  assert.equal(eff.runAsGroup, 3000);
  assert.equal(eff.runAsNonRoot, true);
  const r = containerSecurity(p, c, root, opts);
  assert.deepEqual(r.user, { uid: 2000, gid: 3000, additionalGids: [3000] });
  assert.deepEqual(r.security, {
    seccomp: { type: 'Unconfined' }, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, procMount: 'Default',
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
  });
  // A container's seccompProfile wins over the pod's.
  assert.deepEqual(containerSecurity(p, ctr({ seccompProfile: { type: 'RuntimeDefault' } }), root, opts).security.seccomp, { type: 'RuntimeDefault' });
});

test('groups: passwd group of a runAsUser, /etc/group memberships, fsGroup and supplementalGroups merged and sorted', () => {
  // runAsUser 101 takes nginx's primary group 101 and its memberships (33, 4), then fsGroup and supplementalGroups.
  const p = pod({ securityContext: { runAsUser: 101, fsGroup: 2000, supplementalGroups: [5000, 33] } });
  assert.deepEqual(containerSecurity(p, ctr(), nginxLike, opts).user, { uid: 101, gid: 101, additionalGids: [4, 33, 101, 2000, 5000] });
  // runAsGroup replaces the passwd group; memberships stay (they follow the user).
  assert.deepEqual(containerSecurity(pod({ securityContext: { runAsUser: 101, runAsGroup: 7 } }), ctr(), nginxLike, opts).user, { uid: 101, gid: 7, additionalGids: [4, 7, 33] });
  // Strict: only the primary group and the pod's groups.
  const strict = pod({ securityContext: { runAsUser: 101, fsGroup: 2000, supplementalGroupsPolicy: 'Strict' } });
  assert.deepEqual(containerSecurity(strict, ctr(), nginxLike, opts).user, { uid: 101, gid: 101, additionalGids: [101, 2000] });
  // A uid without a passwd entry runs with gid 0 (containerd's WithUserID).
  assert.deepEqual(containerSecurity(pod({ securityContext: { runAsUser: 1234 } }), ctr(), nginxLike, opts).user, { uid: 1234, gid: 0, additionalGids: [0] });
  // root is listed in logs (4) and keeps that membership.
  assert.deepEqual(containerSecurity(pod(), ctr(), nginxLike, opts).user, { uid: 0, gid: 0, additionalGids: [0, 4] });
});

test('image users: a named user resolves through passwd; a numeric one too; only an ImageUser is enough for its own user', () => {
  const named: ImageIdentity = {
    user: { user: 'app', uid: 100, gid: 101, additionalGids: [101, 102], home: '/home/app' },
    etc: { passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:100:101::/home/app:/bin/false\n', group: 'root:x:0:\napp:x:101:\nextra:x:102:app\n' },
  };
  assert.deepEqual(containerSecurity(pod(), ctr(), named, opts).user, { uid: 100, gid: 101, additionalGids: [101, 102] });
  assert.deepEqual(containerSecurity(pod(), ctr(), { user: named.user }, opts).user, { uid: 100, gid: 101, additionalGids: [101, 102] });
  // The image's ":group" is dropped, as the kubelet sends only the uid (or name) to containerd.
  const numeric: ImageIdentity = { user: { user: '65532:65533', uid: 65532, gid: 65533, additionalGids: [65533], home: '/' }, etc: { passwd: 'nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n', group: 'nonroot:x:65532:\n' } };
  assert.deepEqual(containerSecurity(pod(), ctr(), numeric, opts).user, { uid: 65532, gid: 65532, additionalGids: [65532] });
  // runAsGroup alone keeps the image's user.
  assert.deepEqual(containerSecurity(pod({ securityContext: { runAsGroup: 9 } }), ctr(), numeric, opts).user, { uid: 65532, gid: 9, additionalGids: [9] });
  // A name missing from the image's passwd fails in the runtime.
  assert.throws(() => containerSecurity(pod(), ctr(), { user: named.user, etc: { passwd: '', group: '' } }, opts), (e: Error) => e instanceof CreateContainerError && e.message === 'no users found');
});

test('built-in images: identity from the catalog root', () => {
  const nginx = builtinImageIdentity('nginx');
  assert.equal(nginx.user?.uid, 0);
  assert.match(nginx.etc!.passwd, /^nginx:x:101:101:/m);
  assert.deepEqual(containerSecurity(pod({ securityContext: { runAsUser: 101 } }), ctr(), nginx, opts).user.gid, 101);
});

test('runAsNonRoot: upstream messages as CreateContainerConfigError', () => {
  const nonRoot = pod({ securityContext: { runAsNonRoot: true } });
  const fails = (p: KObject, c: ContainerFields, img: ImageIdentity, message: string) =>
    assert.throws(() => containerSecurity(p, c, img, opts), (e: Error) => e instanceof ContainerConfigError && e.message === message);
  fails(nonRoot, ctr(), root, 'container has runAsNonRoot and image will run as root (pod: "web_ns(u-1)", container: c)');
  fails(nonRoot, ctr({ runAsUser: 0 }), root, 'container\'s runAsUser breaks non-root policy (pod: "web_ns(u-1)", container: c)');
  fails(pod(), ctr({ runAsNonRoot: true }), { user: { user: 'curl_user', uid: 100, gid: 101, additionalGids: [101], home: '/' } },
    'container has runAsNonRoot and image has non-numeric user (curl_user), cannot verify user is non-root (pod: "web_ns(u-1)", container: c)');
  // Satisfied by a non-zero runAsUser or a numeric non-root image user; runAsNonRoot false checks nothing.
  assert.equal(containerSecurity(nonRoot, ctr({ runAsUser: 1000 }), root, opts).user.uid, 1000);
  assert.equal(containerSecurity(nonRoot, ctr(), { user: { user: '65532', uid: 65532, gid: 65532, additionalGids: [65532], home: '/' } }, opts).user.uid, 65532);
  assert.equal(containerSecurity(nonRoot, ctr({ runAsNonRoot: false }), root, opts).user.uid, 0);
});

test('seccomp Localhost: read from the seccomp root; errors as containerd words them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-seccomp-'));
  try {
    mkdirSync(join(dir, 'profiles'));
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    writeFileSync(join(dir, 'profiles', 'ok.json'), JSON.stringify(profile));
    writeFileSync(join(dir, 'profiles', 'bad.json'), '{"nope": 1}');
    const local = (p: string) => ctr({ seccompProfile: { type: 'Localhost', localhostProfile: p } });
    const o = { seccompRoot: dir };
    assert.deepEqual(containerSecurity(pod(), local('profiles/ok.json'), root, o).security.seccomp, { type: 'Localhost', profile });
    const missing = join(dir, 'profiles/missing.json');
    assert.throws(() => containerSecurity(pod(), local('profiles/missing.json'), root, o),
      (e: Error) => e instanceof CreateContainerError && e.message === `cannot load seccomp profile "${missing}": open ${missing}: no such file or directory`);
    assert.throws(() => containerSecurity(pod(), local('profiles/bad.json'), root, o), (e: Error) => e instanceof CreateContainerError && e.message.startsWith('decoding seccomp profile failed'));
    assert.throws(() => containerSecurity(pod(), ctr({ seccompProfile: { type: 'Localhost' } }), root, o),
      (e: Error) => e instanceof ContainerConfigError && e.message === 'localhostProfile must be set if seccompProfile type is Localhost.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fsUser: the uid every container runs as, when they all set the same one', () => {
  assert.equal(fsUserFrom(pod()), undefined);
  assert.equal(fsUserFrom(pod({ securityContext: { runAsUser: 1000 } })), 1000);
  assert.equal(fsUserFrom(pod({ securityContext: { runAsUser: 1000 }, initContainers: [{ name: 'i', securityContext: { runAsUser: 2000 } }] })), undefined);
  assert.equal(fsUserFrom(pod({ containers: [{ name: 'a', securityContext: { runAsUser: 5 } }, { name: 'b', securityContext: { runAsUser: 5 } }] })), 5);
});
