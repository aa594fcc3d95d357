import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CorsPolicy } from '../../../../../src/addons/istio/config/types.js';
import { corsDecision, originAllowed } from '../../../../../src/addons/istio/gateway/cors.js';

const policy: CorsPolicy = {
  allowOrigins: [{ exact: 'https://a.test' }, { prefix: 'http://local' }, { regex: 'https://.*\\.b\\.test' }],
  allowMethods: 'GET,POST',
  allowHeaders: 'x-custom',
  exposeHeaders: 'x-exposed',
  maxAge: '86400',
  allowCredentials: true,
  forwardUnmatchedPreflights: true,
};
const headers = (h: Record<string, string>) => (n: string) => h[n];

test('origins by exact, prefix and regex (a full match); a `*` matcher allows all', () => {
  assert.equal(originAllowed(policy, 'https://a.test'), true);
  assert.equal(originAllowed(policy, 'http://localhost:3000'), true);
  assert.equal(originAllowed(policy, 'https://x.b.test'), true);
  assert.equal(originAllowed(policy, 'https://x.b.test.evil'), false);
  assert.equal(originAllowed(policy, 'https://c.test'), false);
  assert.equal(originAllowed({ ...policy, allowOrigins: [{ exact: '*' }] }, 'https://c.test'), true);
});

test('a preflight from an allowed origin is answered with the policy', () => {
  const d = corsDecision(policy, 'OPTIONS', headers({ origin: 'https://a.test', 'access-control-request-method': 'POST' }));
  assert.deepEqual(d, {
    kind: 'preflight',
    headers: {
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'x-custom',
      'access-control-max-age': '86400',
      'access-control-expose-headers': 'x-exposed',
    },
  });
});

test('an actual CORS request goes upstream and its answer gains allow-origin, credentials and expose-headers', () => {
  assert.deepEqual(corsDecision(policy, 'GET', headers({ origin: 'https://a.test' })), {
    kind: 'cors',
    responseHeaders: { 'access-control-allow-origin': 'https://a.test', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-exposed' },
  });
  // OPTIONS without Access-Control-Request-Method is not a preflight.
  assert.equal(corsDecision(policy, 'OPTIONS', headers({ origin: 'https://a.test' })).kind, 'cors');
});

test('no Origin, no policy, or an origin not allowed: untouched; its preflight forwarded, or answered without allow-origin with IGNORE', () => {
  assert.deepEqual(corsDecision(policy, 'GET', headers({})), { kind: 'none' });
  assert.deepEqual(corsDecision(undefined, 'GET', headers({ origin: 'https://a.test' })), { kind: 'none' });
  const pre = headers({ origin: 'https://c.test', 'access-control-request-method': 'GET' });
  assert.deepEqual(corsDecision(policy, 'OPTIONS', pre), { kind: 'none' });
  assert.deepEqual(corsDecision({ ...policy, forwardUnmatchedPreflights: false }, 'OPTIONS', pre), {
    kind: 'preflight',
    headers: { 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET,POST', 'access-control-allow-headers': 'x-custom', 'access-control-max-age': '86400' },
  });
});

test('`*` for methods or headers echoes what the preflight asks for', () => {
  const star: CorsPolicy = { allowOrigins: [{ prefix: '' }], allowMethods: '*', allowHeaders: '*', forwardUnmatchedPreflights: true };
  const d = corsDecision(star, 'OPTIONS', headers({ origin: 'https://z.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-a,x-b' }));
  assert.deepEqual(d, {
    kind: 'preflight',
    headers: { 'access-control-allow-origin': 'https://z.test', 'access-control-allow-methods': 'PUT', 'access-control-allow-headers': 'x-a,x-b' },
  });
});
