import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { tokenVolumeSource } from '../../../../src/api/admission/pod.js';
import type { ObjectSource } from '../../../../src/node/kubelet/env.js';
import type { TokenRequestSpec } from '../../../../src/node/kubelet/token-manager.js';
import { setUpVolumes, volumeDir, VolumeError } from '../../../../src/node/kubelet/volumes.js';

// The projected volume the ServiceAccount admission plugin adds, as the kubelet writes it.

const alloc = { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 0 };
const caMap: KObject = { metadata: { name: 'kube-root-ca.crt', namespace: 'ns' }, data: { 'ca.crt': 'CA PEM' } };

function podWith(spec: Record<string, unknown>): KObject {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { serviceAccountName: 'robot', volumes: [{ name: 'kube-api-access-abcde', projected: tokenVolumeSource() }], ...spec },
  };
}

function sourceRecording(asked: { ns: string; sa: string; spec: TokenRequestSpec }[], token = 'jwt-1'): ObjectSource {
  return {
    configMap: async (_ns, name) => (name === 'kube-root-ca.crt' ? caMap : undefined),
    secret: async () => undefined,
    serviceAccountToken: async (ns, sa, spec) => {
      asked.push({ ns, sa, spec });
      return { token, expiration: Date.now() + 3607_000, expirationSeconds: 3607 };
    },
  };
}

test('token, ca.crt and namespace, readable by any uid (0644) when the pod names no runAsUser', async (t) => {
  const podDir = mkdtempSync(join(tmpdir(), 'skiff-satok-'));
  t.after(() => rmSync(podDir, { recursive: true, force: true }));
  const pod = podWith({ containers: [{ name: 'c' }] });
  const asked: { ns: string; sa: string; spec: TokenRequestSpec }[] = [];
  await setUpVolumes(pod, podDir, sourceRecording(asked), alloc);
  assert.deepEqual(asked, [{ ns: 'ns', sa: 'robot', spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' } } }]);
  const dir = volumeDir(podDir, (pod.spec as { volumes: never[] }).volumes[0]);
  assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'jwt-1');
  assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'CA PEM');
  assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'ns');
  assert.equal(statSync(join(dir, 'token')).mode & 0o777, 0o644);
  assert.equal(statSync(join(dir, 'token')).uid, process.getuid!());
});

test('a pod whose containers all run as one uid gets the token as that owner, mode 0600', { skip: process.getuid?.() !== 0 && 'chown needs root' }, async (t) => {
  const podDir = mkdtempSync(join(tmpdir(), 'skiff-satok-'));
  t.after(() => rmSync(podDir, { recursive: true, force: true }));
  const pod = podWith({ securityContext: { runAsUser: 101 }, containers: [{ name: 'c' }, { name: 'd', securityContext: { runAsUser: 101 } }] });
  await setUpVolumes(pod, podDir, sourceRecording([]), alloc);
  const dir = volumeDir(podDir, (pod.spec as { volumes: never[] }).volumes[0]);
  const st = statSync(join(dir, 'token'));
  assert.equal(st.uid, 101);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'ca.crt')).mode & 0o777, 0o644, 'only the token is the user\'s');
  // Containers with different uids: nobody owns it, every uid may read it.
  const mixed = podWith({ containers: [{ name: 'c', securityContext: { runAsUser: 101 } }, { name: 'd', securityContext: { runAsUser: 65532 } }] });
  const mixedDir = mkdtempSync(join(tmpdir(), 'skiff-satok-'));
  t.after(() => rmSync(mixedDir, { recursive: true, force: true }));
  await setUpVolumes(mixed, mixedDir, sourceRecording([]), alloc);
  const m = statSync(join(volumeDir(mixedDir, (mixed.spec as { volumes: never[] }).volumes[0]), 'token'));
  assert.deepEqual([m.uid, m.mode & 0o777], [0, 0o644]);
});

test('a refreshed token swaps the file; a token that cannot be had blocks the pod (FailedMount)', async (t) => {
  const podDir = mkdtempSync(join(tmpdir(), 'skiff-satok-'));
  t.after(() => rmSync(podDir, { recursive: true, force: true }));
  const pod = podWith({ containers: [{ name: 'c' }] });
  await setUpVolumes(pod, podDir, sourceRecording([], 'jwt-1'), alloc);
  assert.deepEqual(await setUpVolumes(pod, podDir, sourceRecording([], 'jwt-1'), alloc), [], 'the same token changes nothing');
  assert.deepEqual(await setUpVolumes(pod, podDir, sourceRecording([], 'jwt-2'), alloc), ['kube-api-access-abcde']);
  const dir = volumeDir(podDir, (pod.spec as { volumes: never[] }).volumes[0]);
  assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'jwt-2');
  const failing: ObjectSource = {
    ...sourceRecording([]),
    serviceAccountToken: async () => {
      throw new Error('failed to fetch token: serviceaccounts "robot" not found');
    },
  };
  await assert.rejects(setUpVolumes(pod, podDir, failing, alloc), (e: unknown) => e instanceof VolumeError && e.volume === 'kube-api-access-abcde' && /serviceaccounts "robot" not found/.test(e.message));
});
