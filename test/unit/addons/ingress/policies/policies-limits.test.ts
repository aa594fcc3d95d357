import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngressAnnotations } from '../../../../../src/addons/ingress/annotations.js';
import { RateLimiter } from '../../../../../src/addons/ingress/policies/rate-limit.js';
import { checkSourceRange, locationDenied } from '../../../../../src/addons/ingress/policies/source-range.js';
import { bodyTooLarge } from '../../../../../src/addons/ingress/policies/body-size.js';
import { mayRetry, proxyTimeouts } from '../../../../../src/addons/ingress/policies/timeouts.js';
import { backendTransport } from '../../../../../src/addons/ingress/policies/backend-protocol.js';
import { ipInCidrs, parseCidr } from '../../../../../src/addons/ingress/policies/cidr.js';
import { parseSize } from '../../../../../src/addons/ingress/policies/size.js';
import { hstsHeader } from '../../../../../src/addons/ingress/policies/hsts.js';

const cfg = (a: Record<string, string> = {}) =>
  parseIngressAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]))).config;

test('limit-rps: 1 + rps × multiplier pass at once, then the bucket drains at the rate', () => {
  let now = 1000;
  const l = new RateLimiter(cfg({ 'limit-rps': '2' }).rateLimit, () => now);
  let passed = 0;
  for (let i = 0; i < 20; i++) if (l.acquire('10.0.0.1').allowed) passed++;
  assert.equal(passed, 11, 'burst = 2 × 5, plus the first request');
  const refused = l.acquire('10.0.0.1');
  assert.equal(refused.allowed, false);
  if (!refused.allowed) {
    assert.equal(refused.response.status, 503);
    assert.equal(refused.reason, 'limit-rps');
    assert.match(refused.response.body, /503 Service Temporarily Unavailable/);
  }
  assert.equal(l.acquire('10.0.0.2').allowed, true, 'limits are per client address');
  now += 500; // drains one request at 2 r/s
  assert.equal(l.acquire('10.0.0.1').allowed, true);
  assert.equal(l.acquire('10.0.0.1').allowed, false);
  now += 10_000;
  l.sweep();
  passed = 0;
  for (let i = 0; i < 20; i++) if (l.acquire('10.0.0.1').allowed) passed++;
  assert.equal(passed, 11, 'a drained bucket allows a full burst again');
});

test('limit-burst-multiplier and limit-rpm', () => {
  let now = 0;
  const l = new RateLimiter(cfg({ 'limit-rpm': '60', 'limit-burst-multiplier': '1' }).rateLimit, () => now);
  let passed = 0;
  for (let i = 0; i < 100; i++) if (l.acquire('a').allowed) passed++;
  assert.equal(passed, 61, 'burst = 60 × 1, plus the first request');
  const r = l.acquire('a');
  assert.equal(r.allowed, false);
  if (!r.allowed) assert.equal(r.reason, 'limit-rpm');
  now += 1000; // one request per second drains
  assert.equal(l.acquire('a').allowed, true);
  assert.equal(l.acquire('a').allowed, false);
});

test('a request refused by limit-rps does not fill the limit-rpm bucket', () => {
  let now = 0;
  const l = new RateLimiter(cfg({ 'limit-rps': '1', 'limit-rpm': '600', 'limit-burst-multiplier': '1' }).rateLimit, () => now);
  assert.equal(l.acquire('a').allowed, true);
  assert.equal(l.acquire('a').allowed, true);
  for (let i = 0; i < 1000; i++) {
    const r = l.acquire('a');
    assert.equal(r.allowed, false);
    if (!r.allowed) assert.equal(r.reason, 'limit-rps');
  }
  now += 1000;
  assert.equal(l.acquire('a').allowed, true, 'rpm (burst 600) still has room: refused requests were not counted');
});

test('limit-whitelist exempts clients, IPv4-mapped addresses included', () => {
  const l = new RateLimiter(cfg({ 'limit-rps': '1', 'limit-burst-multiplier': '1', 'limit-whitelist': '127.0.0.0/8' }).rateLimit, () => 0);
  for (let i = 0; i < 10; i++) assert.equal(l.acquire('::ffff:127.0.0.1').allowed, true);
  assert.equal(l.acquire('10.1.1.1').allowed, true);
  assert.equal(l.acquire('10.1.1.1').allowed, true);
  assert.equal(l.acquire('10.1.1.1').allowed, false);
});

test('limit-connections counts requests in flight per address', () => {
  const l = new RateLimiter(cfg({ 'limit-connections': '2' }).rateLimit, () => 0);
  const a = l.acquire('10.0.0.1');
  const b = l.acquire('10.0.0.1');
  assert.ok(a.allowed && b.allowed);
  const c = l.acquire('10.0.0.1');
  assert.equal(c.allowed, false);
  if (!c.allowed) {
    assert.equal(c.reason, 'limit-connections');
    assert.equal(c.response.status, 503);
  }
  assert.equal(l.acquire('10.0.0.2').allowed, true);
  if (a.allowed) { a.release(); a.release(); } // a second release must not free another slot
  const d = l.acquire('10.0.0.1');
  assert.equal(d.allowed, true);
  assert.equal(l.acquire('10.0.0.1').allowed, false);
});

test('no limits: the limiter is inactive and always allows', () => {
  const l = new RateLimiter(cfg().rateLimit);
  assert.equal(l.active, false);
  for (let i = 0; i < 100; i++) assert.equal(l.acquire('1.2.3.4').allowed, true);
});

test('whitelist-source-range and denylist-source-range answer 403', () => {
  const c = cfg({ 'whitelist-source-range': '10.0.0.0/24,192.168.0.1' });
  assert.equal(checkSourceRange(c, '10.0.0.77'), undefined);
  assert.equal(checkSourceRange(c, '192.168.0.1'), undefined);
  assert.equal(checkSourceRange(c, '::ffff:10.0.0.5'), undefined);
  const denied = checkSourceRange(c, '10.0.1.1');
  assert.equal(denied?.status, 403);
  assert.match(denied!.body, /<center><h1>403 Forbidden<\/h1><\/center>/);
  assert.equal(checkSourceRange(cfg(), '8.8.8.8'), undefined, 'no ranges: everyone');
  const deny = cfg({ 'denylist-source-range': '127.0.0.1' });
  assert.equal(checkSourceRange(deny, '127.0.0.1')?.status, 403);
  assert.equal(checkSourceRange(deny, '127.0.0.2'), undefined);
});

test('CIDR matching for IPv4 and IPv6', () => {
  const nets = [parseCidr('fd00::/8')!, parseCidr('2001:db8::1')!, parseCidr('0.0.0.0/0')!];
  assert.ok(ipInCidrs('fd12:3456::1', nets));
  assert.ok(ipInCidrs('2001:db8::1', nets));
  assert.ok(!ipInCidrs('2001:db8::2', nets));
  assert.ok(ipInCidrs('203.0.113.9', nets));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0/8'), undefined);
  assert.equal(parseCidr('::ffff:10.0.0.1/128')?.family, 6);
  assert.ok(ipInCidrs('10.1.2.3', [parseCidr('10.1.2.0/23')!]));
  assert.ok(!ipInCidrs('10.1.4.3', [parseCidr('10.1.2.0/23')!]));
});

test('proxy-body-size: 413 with nginx page; 0 is unlimited', () => {
  const c = cfg({ 'proxy-body-size': '1k' });
  assert.equal(bodyTooLarge(c.proxy, 1024), undefined);
  const r = bodyTooLarge(c.proxy, 1025);
  assert.equal(r?.status, 413);
  assert.match(r!.body, /413 Request Entity Too Large/);
  assert.equal(r!.headers.Connection, 'close');
  assert.equal(bodyTooLarge(c.proxy, undefined), undefined);
  assert.equal(bodyTooLarge(cfg({ 'proxy-body-size': '0' }).proxy, 10 ** 12), undefined);
  assert.equal(bodyTooLarge(cfg().proxy, 1024 * 1024 + 1)?.status, 413, 'default 1m');
  assert.equal(parseSize(' 2M '), 2 * 1024 * 1024);
  assert.equal(parseSize('2.5m'), undefined);
});

test('timeouts and retries', () => {
  const t = proxyTimeouts(cfg({ 'proxy-connect-timeout': '3', 'proxy-read-timeout': '120' }).proxy);
  assert.equal(t.connectMs, 3000);
  assert.equal(t.readMs, 120_000);
  assert.equal(t.sendMs, 60_000);
  assert.deepEqual(t.nextUpstream, { onError: true, onTimeout: true, statuses: [], nonIdempotent: false, tries: 3, timeoutMs: 0 });
  assert.equal(mayRetry(t, 'error', 'GET', 1, 0, 10), true);
  assert.equal(mayRetry(t, 'error', 'GET', 3, 0, 10), false, 'tries include the first attempt');
  assert.equal(mayRetry(t, 'error', 'POST', 1, 0, 10), false, 'POST is not idempotent');
  assert.equal(mayRetry(t, 502, 'GET', 1, 0, 10), false);
  const s = proxyTimeouts(cfg({ 'proxy-next-upstream': 'error http_502 non_idempotent', 'proxy-next-upstream-timeout': '1', 'proxy-next-upstream-tries': '0' }).proxy);
  assert.equal(mayRetry(s, 502, 'POST', 10, 0, 999), true);
  assert.equal(mayRetry(s, 502, 'GET', 1, 0, 1000), false, 'next-upstream-timeout spent');
  assert.equal(mayRetry(s, 'timeout', 'GET', 1, 0, 0), false);
  const off = proxyTimeouts(cfg({ 'proxy-next-upstream': 'off' }).proxy);
  assert.equal(mayRetry(off, 'error', 'GET', 1, 0, 0), false);
});

test('backend-protocol', () => {
  assert.deepEqual(backendTransport(cfg()), { scheme: 'http', rejectUnauthorized: false });
  assert.deepEqual(backendTransport(cfg({ 'backend-protocol': 'HTTPS' })), { scheme: 'https', rejectUnauthorized: false });
  assert.deepEqual(backendTransport(cfg({ 'backend-protocol': 'GRPC' })), { unsupported: 'GRPC' });
});

test('a location with an unparsable source range answers 503 to everyone', () => {
  assert.equal(locationDenied(cfg()), undefined);
  const r = locationDenied(cfg({ 'whitelist-source-range': '10.0.0.0/8,bogus' }));
  assert.equal(r?.status, 503);
  assert.match(r!.body, /503 Service Temporarily Unavailable/);
});

test('HSTS only over TLS for hosts with their own certificate', () => {
  assert.equal(hstsHeader('https', true), 'max-age=15724800; includeSubDomains');
  assert.equal(hstsHeader('https', false), undefined);
  assert.equal(hstsHeader('http', true), undefined);
});
