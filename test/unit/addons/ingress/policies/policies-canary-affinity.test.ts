import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseIngressAnnotations } from '../../../../../src/addons/ingress/annotations.js';
import { routeToCanary, type CanaryRequest } from '../../../../../src/addons/ingress/policies/canary.js';
import { CookieAffinity, backendKey, type AffinityRequest } from '../../../../../src/addons/ingress/policies/affinity.js';
import { cookieTime, cookieValue } from '../../../../../src/addons/ingress/policies/cookies.js';

const cfg = (a: Record<string, string> = {}) =>
  parseIngressAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]))).config;

function request(headers: Record<string, string> = {}, cookie = ''): CanaryRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (n) => lower[n.toLowerCase()], cookie: (n) => cookieValue(cookie, n) };
}
const never = () => Number.MAX_SAFE_INTEGER; // a draw above any weight
const always = () => 1;

test('canary by header: always / never / other values fall through to the weight', () => {
  const c = cfg({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-weight': '100' }).canary;
  assert.equal(routeToCanary(c, request({ 'x-canary': 'always' }), never), true);
  assert.equal(routeToCanary(c, request({ 'X-Canary': 'never' }), always), false);
  assert.equal(routeToCanary(c, request({ 'X-Canary': 'maybe' }), always), true, 'weight 100 decides');
  assert.equal(routeToCanary(c, request(), always), true);
});

test('canary header value and pattern; a mismatch falls through', () => {
  const v = cfg({ 'canary-by-header': 'X-Region', 'canary-by-header-value': 'eu', 'canary-by-header-pattern': 'us' }).canary;
  assert.equal(routeToCanary(v, request({ 'X-Region': 'eu' }), never), true);
  assert.equal(routeToCanary(v, request({ 'X-Region': 'us' }), never), false, 'pattern ignored when value is set');
  assert.equal(routeToCanary(v, request({ 'X-Region': 'never' }), always), false, 'weight 0');
  const p = cfg({ 'canary-by-header': 'X-Region', 'canary-by-header-pattern': '^(eu|us)-' }).canary;
  assert.equal(routeToCanary(p, request({ 'X-Region': 'eu-west' }), never), true);
  assert.equal(routeToCanary(p, request({ 'X-Region': 'ap-south' }), never), false);
  const ci = cfg({ 'canary-by-header': 'X-Region', 'canary-by-header-pattern': '(?i)^EU' }).canary;
  assert.equal(routeToCanary(ci, request({ 'X-Region': 'eu-west' }), never), true, 'PCRE inline flags');
  assert.equal(routeToCanary(p, request({ 'X-Region': 'EU-west' }), never), false, 'case-sensitive by default');
});

test('precedence header → cookie → weight', () => {
  const c = cfg({ 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'canary', 'canary-weight': '50' }).canary;
  assert.equal(routeToCanary(c, request({ 'X-Canary': 'never' }, 'canary=always'), always), false);
  assert.equal(routeToCanary(c, request({ 'X-Canary': 'always' }, 'canary=never'), never), true);
  assert.equal(routeToCanary(c, request({}, 'canary=always'), never), true);
  assert.equal(routeToCanary(c, request({}, 'canary=never'), always), false);
  assert.equal(routeToCanary(c, request({}, 'canary=other'), () => 50), true);
  assert.equal(routeToCanary(c, request({}, 'canary=other'), () => 51), false);
});

test('canary weight: exactly weight out of every total draws', () => {
  const count = (weight: string, total?: string) => {
    const c = cfg({ 'canary-weight': weight, ...(total ? { 'canary-weight-total': total } : {}) }).canary;
    let n = 0;
    let seen = 0;
    for (let draw = 1; ; draw++) {
      let asked = 0;
      if (routeToCanary(c, request(), (m) => { asked = m; return draw; })) n++;
      seen = asked;
      if (draw >= asked) break;
    }
    return { n, total: seen };
  };
  assert.deepEqual(count('20'), { n: 20, total: 100 });
  assert.deepEqual(count('0'), { n: 0, total: 100 });
  assert.deepEqual(count('200', '1000'), { n: 200, total: 1000 });
  assert.deepEqual(count('5', '10'), { n: 5, total: 100 }, 'totals below 100 are ignored by the Lua balancer');
});

test('canary weight 20: 1000 seeded draws land within 20% ± 3', () => {
  const c = cfg({ 'canary-weight': '20' }).canary;
  // A fixed-seed generator keeps this deterministic; the next test covers the real source.
  let seed = 42;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return 1 + Math.floor((seed / 2 ** 31) * n); };
  let hits = 0;
  for (let i = 0; i < 1000; i++) if (routeToCanary(c, request(), rnd)) hits++;
  assert.ok(hits >= 170 && hits <= 230, `${hits} of 1000`);
});

test('canary weight 20 with the default random source: 20% of 100,000 requests, ± 1 point', () => {
  const c = cfg({ 'canary-weight': '20' }).canary;
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (routeToCanary(c, request())) hits++;
  // ±1000 is about 8 standard deviations of a fair 20% draw, so only a biased source fails.
  assert.ok(Math.abs(hits - 20_000) <= 1000, `${hits} of 100000`);
});

const aff = (over: Partial<AffinityRequest> = {}): AffinityRequest => ({
  cookieHeader: undefined, https: false, userAgent: undefined, locationPath: '/', ...over,
});
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('balanced affinity: a new client gets INGRESSCOOKIE and then sticks', () => {
  const a = new CookieAffinity(cfg({ affinity: 'cookie' }).affinity, 'default-www-80', { now: () => 1_700_000_000_000 });
  a.setEndpoints(['10.244.1.2:80', '10.244.1.3:80', '10.244.1.4:80']);
  const first = a.pick(aff());
  assert.ok(first.endpoint);
  assert.match(first.setCookie!, /^INGRESSCOOKIE=[^|;]+\|[0-9a-f]{32}; Path=\/; HttpOnly$/);
  assert.equal(a.backendKey, md5(md5('default-www-80') + 'default-www-80'));
  assert.equal(first.setCookie!.split(';')[0]!.split('|')[1], backendKey('default-www-80'));
  const cookie = first.setCookie!.split(';')[0]!;
  for (let i = 0; i < 20; i++) {
    const again = a.pick(aff({ cookieHeader: `other=1; ${cookie}` }));
    assert.equal(again.endpoint, first.endpoint);
    assert.equal(again.setCookie, undefined);
  }
  assert.equal(a.affinitizedTo({ cookieHeader: cookie }), true);
  assert.equal(a.affinitizedTo({ cookieHeader: 'INGRESSCOOKIE=x|abc' }), false);
  assert.equal(a.affinitizedTo({ cookieHeader: undefined }), false);
});

test('balanced affinity spreads new sessions and keeps most of them when scaling up', () => {
  let r = 0;
  const a = new CookieAffinity(cfg({ affinity: 'cookie' }).affinity, 'ns-svc-80', { random: () => ++r });
  const eps = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];
  a.setEndpoints(eps);
  const cookies = Array.from({ length: 300 }, () => a.pick(aff()));
  const per = new Map<string, number>();
  for (const c of cookies) per.set(c.endpoint!, (per.get(c.endpoint!) ?? 0) + 1);
  assert.equal(per.size, 3);
  for (const n of per.values()) assert.ok(n > 50, `uneven spread ${[...per.values()]}`);
  a.setEndpoints([...eps, '10.0.0.4:80']);
  let kept = 0;
  for (const c of cookies) {
    const again = a.pick(aff({ cookieHeader: c.setCookie!.split(';')[0] }));
    if (again.endpoint === c.endpoint) kept++;
  }
  assert.ok(kept >= 180, `only ${kept} of 300 sessions kept`);
});

test('persistent affinity: the key is md5(backend + endpoint); a removed endpoint gets a new cookie', () => {
  const a = new CookieAffinity(cfg({ affinity: 'cookie', 'affinity-mode': 'persistent' }).affinity, 'ns-svc-80', { random: () => 1 });
  a.setEndpoints(['10.0.0.2:80', '10.0.0.1:80']);
  const first = a.pick(aff());
  const key = first.setCookie!.split(';')[0]!.split('=')[1]!.split('|')[0];
  assert.equal(key, md5(`ns-svc-80${first.endpoint}`));
  a.setEndpoints(['10.0.0.2:80', '10.0.0.1:80', '10.0.0.9:80']);
  assert.equal(a.pick(aff({ cookieHeader: first.setCookie!.split(';')[0] })).endpoint, first.endpoint);
  a.setEndpoints(['10.0.0.9:80']);
  const moved = a.pick(aff({ cookieHeader: first.setCookie!.split(';')[0] }));
  assert.equal(moved.endpoint, '10.0.0.9:80');
  assert.ok(moved.setCookie);
});

test('change-on-failure picks another endpoint avoiding the failed ones', () => {
  const c = cfg({ affinity: 'cookie', 'affinity-mode': 'persistent', 'session-cookie-change-on-failure': 'true' }).affinity;
  const a = new CookieAffinity(c, 'b', { random: () => 1 });
  a.setEndpoints(['10.0.0.1:80', '10.0.0.2:80']);
  const first = a.pick(aff());
  const cookie = first.setCookie!.split(';')[0]!;
  const retry = a.pick(aff({ cookieHeader: cookie }), new Set([first.endpoint!]), true);
  assert.notEqual(retry.endpoint, first.endpoint);
  assert.ok(retry.setCookie);
  const without = new CookieAffinity({ ...c, changeOnFailure: false }, 'b', { random: () => 1 });
  without.setEndpoints(['10.0.0.1:80', '10.0.0.2:80']);
  assert.equal(without.pick(aff({ cookieHeader: cookie }), new Set([first.endpoint!]), true).endpoint, first.endpoint);
});

test('cookie attributes in lua-resty-cookie order', () => {
  const c = cfg({
    affinity: 'cookie', 'session-cookie-name': 'route', 'session-cookie-expires': '3600', 'session-cookie-max-age': '7200',
    'session-cookie-path': '/app', 'session-cookie-samesite': 'None', 'session-cookie-domain': 'example.com',
  }).affinity;
  const a = new CookieAffinity(c, 'b', { now: () => Date.UTC(2026, 10, 24, 3, 0, 0) });
  a.setEndpoints(['10.0.0.1:80']);
  const set = a.pick(aff({ https: true, locationPath: '/ignored' })).setCookie!;
  assert.match(set, /^route=[^;]+; Expires=Tue, 24-Nov-26 04:00:00 GMT; Max-Age=7200; Domain=example.com; Path=\/app; Secure; HttpOnly; SameSite=None$/);
  const conditional = new CookieAffinity({ ...c, cookieConditionalSameSiteNone: true }, 'b');
  conditional.setEndpoints(['10.0.0.1:80']);
  const oldChrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.84 Safari/537.36';
  assert.doesNotMatch(conditional.pick(aff({ userAgent: oldChrome })).setCookie!, /SameSite/);
  assert.match(conditional.pick(aff({ userAgent: 'curl/8.0' })).setCookie!, /SameSite=None$/);
  const regexPath = new CookieAffinity(cfg({ affinity: 'cookie' }).affinity, 'b');
  regexPath.setEndpoints(['10.0.0.1:80']);
  assert.match(regexPath.pick(aff({ locationPath: '/api(/|$)(.*)' })).setCookie!, /; Path=\/api\(\/\|\$\)\(\.\*\); HttpOnly$/);
  const insecure = new CookieAffinity(cfg({ affinity: 'cookie', 'session-cookie-secure': 'false' }).affinity, 'b');
  insecure.setEndpoints(['10.0.0.1:80']);
  assert.doesNotMatch(insecure.pick(aff({ https: true })).setCookie!, /Secure/);
});

test('no endpoints: no choice, no cookie', () => {
  const a = new CookieAffinity(cfg({ affinity: 'cookie' }).affinity, 'b');
  a.setEndpoints([]);
  assert.deepEqual(a.pick(aff()), { endpoint: undefined, setCookie: undefined });
});

test('cookie helpers', () => {
  assert.equal(cookieValue('a=1; B=2;c=3', 'b'), '2');
  assert.equal(cookieValue(['x=1', 'y=2'], 'y'), '2');
  assert.equal(cookieValue('a=1', 'z'), undefined);
  assert.equal(cookieValue(undefined, 'a'), undefined);
  assert.equal(cookieTime(Date.UTC(2010, 10, 18, 11, 27, 35) / 1000), 'Thu, 18-Nov-10 11:27:35 GMT');
  assert.equal(cookieTime(Date.UTC(2040, 0, 2, 3, 4, 5) / 1000), 'Mon, 02-Jan-2040 03:04:05 GMT');
});
