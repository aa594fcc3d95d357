import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenManager, type TokenRequestSpec } from '../../../../src/node/kubelet/token-manager.js';

// The kubelet's token cache: refresh at 80% of the token's life (or after 24 h), keep the old
// token when a refresh fails and it is still valid.

const spec: TokenRequestSpec = { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' } };

function world() {
  let now = 1_000_000_000;
  let fail = false;
  let n = 0;
  const m = new TokenManager(
    async (_ns, _sa, s) => {
      if (fail) throw new Error('serviceaccounts "default" not found');
      n++;
      return { token: `t${n}`, expiration: now + (s.expirationSeconds ?? 3600) * 1000, expirationSeconds: s.expirationSeconds ?? 3600 };
    },
    () => now,
    () => 0, // no jitter
  );
  return { m, advance: (ms: number) => (now += ms), setFail: (f: boolean) => (fail = f) };
}

test('a token is reused until 80% of its life, then a new one is fetched', async () => {
  const w = world();
  assert.equal((await w.m.serviceAccountToken('ns', 'default', spec)).token, 't1');
  w.advance(Math.floor(3607 * 0.8) * 1000 - 1000);
  assert.equal((await w.m.serviceAccountToken('ns', 'default', spec)).token, 't1');
  w.advance(2000);
  assert.equal((await w.m.serviceAccountToken('ns', 'default', spec)).token, 't2');
  assert.equal((await w.m.serviceAccountToken('ns', 'default', { ...spec, audiences: ['vault'] })).token, 't3', 'another audience is another token');
});

test('a long-lived token is refreshed after 24 hours', async () => {
  const w = world();
  const long = { ...spec, expirationSeconds: 7 * 24 * 3600 };
  assert.equal((await w.m.serviceAccountToken('ns', 'default', long)).token, 't1');
  w.advance(24 * 3600 * 1000 - 1000);
  assert.equal((await w.m.serviceAccountToken('ns', 'default', long)).token, 't1');
  w.advance(2000);
  assert.equal((await w.m.serviceAccountToken('ns', 'default', long)).token, 't2');
});

test('a failed refresh keeps a token that is still valid; without one, the error says why', async () => {
  const w = world();
  w.setFail(true);
  await assert.rejects(w.m.serviceAccountToken('ns', 'default', spec), /^Error: failed to fetch token: serviceaccounts "default" not found$/);
  w.setFail(false);
  await w.m.serviceAccountToken('ns', 'default', spec);
  w.advance(3000 * 1000);
  w.setFail(true);
  assert.equal((await w.m.serviceAccountToken('ns', 'default', spec)).token, 't1');
  w.advance(700 * 1000);
  await assert.rejects(w.m.serviceAccountToken('ns', 'default', spec), /failed to fetch token/, 'the expired token was dropped');
});

test('tokens of a pod that is gone are forgotten', async () => {
  const w = world();
  await w.m.serviceAccountToken('ns', 'default', spec);
  w.m.deletePodTokens('u1');
  assert.equal((await w.m.serviceAccountToken('ns', 'default', spec)).token, 't2');
});
