import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../../src/addons/proxy/endpoints.js';
import { HashRing, hash53, requestHash, setCookieValue, type HashFacts } from '../../../../../src/addons/istio/gateway/consistent-hash.js';

const eps: Endpoint[] = [1, 2, 3, 4].map((i) => ({ address: `10.0.0.${i}`, port: 80, key: `10.0.0.${i}:80` }));
const facts = (h: Record<string, string>, over: Partial<HashFacts> = {}): HashFacts => ({ header: (n) => h[n], query: '', remoteAddress: '10.1.0.9', remotePort: 40000, ...over });

test('the key: a header, the source address, a query parameter; none when absent', () => {
  assert.deepEqual(requestHash({ header: 'x-user' }, facts({ 'x-user': 'alice' })), { hash: hash53('alice') });
  assert.deepEqual(requestHash({ header: 'x-user' }, facts({})), {});
  assert.deepEqual(requestHash({ sourceIp: true }, facts({})), { hash: hash53('10.1.0.9') });
  assert.deepEqual(requestHash({ queryParameter: 'u' }, facts({}, { query: 'a=1&u=bob' })), { hash: hash53('bob') });
  assert.deepEqual(requestHash({ queryParameter: 'u' }, facts({}, { query: 'a=1' })), {});
});

test('a cookie: its value when sent; generated from the client address and set when absent with a ttl; none without a ttl', () => {
  const policy = { cookie: { name: 'user', path: '/', ttlMs: 10_000 } };
  assert.deepEqual(requestHash(policy, facts({ cookie: 'a=1; user="abc"' })), { hash: hash53('abc') });
  const generated = requestHash(policy, facts({}));
  const m = /^user="([0-9a-f]{16})"; Max-Age=10; Path=\/; HttpOnly$/.exec(generated.setCookie ?? '');
  assert.ok(m, generated.setCookie);
  // The client sends it back and lands where the generated one did.
  assert.equal(requestHash(policy, facts({ cookie: `user="${m[1]}"` })).hash, generated.hash);
  assert.deepEqual(requestHash({ cookie: { name: 'user' } }, facts({})), {});
  assert.equal(setCookieValue('s', 'v', 0, undefined), 's="v"; HttpOnly');
});

test('the ring: one key one host, keys spread over all hosts, a retry walks on to a host not tried', () => {
  const ring = new HashRing(eps, 1024);
  const seen = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const h = hash53(`user-${i}`);
    const host = ring.pick(h)!;
    assert.equal(ring.pick(h), host);
    seen.set(host.key, (seen.get(host.key) ?? 0) + 1);
  }
  assert.equal(seen.size, 4);
  for (const n of seen.values()) assert.ok(n > 2000 / 4 / 2, `share ${n}`);
  const h = hash53('user-1');
  const first = ring.pick(h)!;
  const second = ring.pick(h, new Set([first.key]))!;
  assert.notEqual(second.key, first.key);
  assert.equal(new HashRing([], 1024).pick(h), undefined);
});

test("removing a host moves its own keys and only some of the others' (the ring keeps its size, so hosts gain points)", () => {
  const full = new HashRing(eps, 1024);
  const less = new HashRing(eps.slice(1), 1024);
  let others = 0;
  let stayed = 0;
  for (let i = 0; i < 2000; i++) {
    const h = hash53(`k${i}`);
    const before = full.pick(h)!;
    const after = less.pick(h)!;
    assert.notEqual(after.key, eps[0]!.key);
    if (before.key === eps[0]!.key) continue;
    others++;
    if (after.key === before.key) stayed++;
  }
  assert.ok(stayed / others > 0.75, `${stayed} of ${others} stayed`);
});
