import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultIngressAnnotations, parseIngressAnnotations } from '../../../../src/addons/ingress/annotations.js';

const P = 'nginx.ingress.kubernetes.io/';
const parse = (a: Record<string, string>) =>
  parseIngressAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [P + k, v])));

test('no annotations gives ingress-nginx defaults and no errors', () => {
  const { config, errors } = parseIngressAnnotations(undefined);
  assert.deepEqual(errors, []);
  assert.deepEqual(config, defaultIngressAnnotations());
  assert.equal(config.rewrite.sslRedirect, true);
  assert.equal(config.rewrite.forceSslRedirect, false);
  assert.equal(config.redirect.permanentRedirectCode, 301);
  assert.equal(config.canary.weightTotal, 100);
  assert.equal(config.affinity.cookieName, 'INGRESSCOOKIE');
  assert.equal(config.affinity.mode, 'balanced');
  assert.equal(config.affinity.cookieSecure, null);
  assert.equal(config.rateLimit.burstMultiplier, 5);
  assert.equal(config.rateLimit.reqStatusCode, 503);
  assert.equal(config.cors.allowMethods, 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
  assert.equal(config.cors.allowHeaders,
    'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization');
  assert.deepEqual(config.cors.allowOrigin, ['*']);
  assert.equal(config.cors.allowCredentials, true);
  assert.equal(config.cors.maxAge, 1728000);
  assert.equal(config.proxy.connectTimeoutSeconds, 5);
  assert.equal(config.proxy.readTimeoutSeconds, 60);
  assert.equal(config.proxy.sendTimeoutSeconds, 60);
  assert.deepEqual(config.proxy.nextUpstream, ['error', 'timeout']);
  assert.equal(config.proxy.nextUpstreamTries, 3);
  assert.equal(config.proxy.bodySizeBytes, 1024 * 1024);
  assert.equal(config.backendProtocol, 'HTTP');
});

test('annotations without the nginx prefix are ignored', () => {
  const { config, errors } = parseIngressAnnotations({ 'use-regex': 'true', 'kubernetes.io/ingress.class': 'nginx' });
  assert.equal(config.rewrite.useRegex, false);
  assert.deepEqual(errors, []);
});

test('scenario 003: use-regex with rewrite-target /$2', () => {
  const { config, errors } = parse({ 'use-regex': 'true', 'rewrite-target': '/$2' });
  assert.deepEqual(errors, []);
  assert.equal(config.rewrite.useRegex, true);
  assert.equal(config.rewrite.useRegexAnnotation, true);
  assert.equal(config.rewrite.target, '/$2');
});

test('rewrite-target alone implies regex paths', () => {
  const { config } = parse({ 'rewrite-target': '/' });
  assert.equal(config.rewrite.useRegex, true);
  assert.equal(config.rewrite.useRegexAnnotation, false);
});

test('booleans follow Go strconv.ParseBool; anything else falls back and is reported', () => {
  assert.equal(parse({ 'ssl-redirect': 'False' }).config.rewrite.sslRedirect, false);
  assert.equal(parse({ 'ssl-redirect': '0' }).config.rewrite.sslRedirect, false);
  assert.equal(parse({ 'force-ssl-redirect': 'T' }).config.rewrite.forceSslRedirect, true);
  const { config, errors } = parse({ 'ssl-redirect': 'yes' });
  assert.equal(config.rewrite.sslRedirect, true);
  assert.deepEqual(errors, ['the annotation nginx.ingress.kubernetes.io/ssl-redirect does not contain a valid value (yes)']);
});

test('integers: invalid or out of range values fall back to the default', () => {
  const ok = parse({ 'limit-rps': '10', 'limit-rpm': '300', 'limit-connections': '2', 'limit-burst-multiplier': '3' }).config.rateLimit;
  assert.deepEqual([ok.rps, ok.rpm, ok.connections, ok.burstMultiplier], [10, 300, 2, 3]);
  const bad = parse({ 'limit-rps': '1.5', 'proxy-read-timeout': '30s', 'canary-weight': '-1', 'limit-burst-multiplier': '0' });
  assert.equal(bad.config.rateLimit.rps, 0);
  assert.equal(bad.config.proxy.readTimeoutSeconds, 60);
  assert.equal(bad.config.canary.weight, 0);
  assert.equal(bad.config.rateLimit.burstMultiplier, 5);
  assert.equal(bad.errors.length, 4);
  assert.ok(bad.errors.some((e) => e.includes('proxy-read-timeout') && e.includes('(30s)')));
});

test('proxy-body-size takes nginx sizes', () => {
  assert.equal(parse({ 'proxy-body-size': '8m' }).config.proxy.bodySizeBytes, 8 * 1024 * 1024);
  assert.equal(parse({ 'proxy-body-size': '512k' }).config.proxy.bodySizeBytes, 512 * 1024);
  assert.equal(parse({ 'proxy-body-size': '1G' }).config.proxy.bodySizeBytes, 1024 ** 3);
  assert.equal(parse({ 'proxy-body-size': '100' }).config.proxy.bodySizeBytes, 100);
  assert.equal(parse({ 'proxy-body-size': '0' }).config.proxy.bodySizeBytes, 0);
  const bad = parse({ 'proxy-body-size': '10mb' });
  assert.equal(bad.config.proxy.bodySizeBytes, 1024 * 1024);
  assert.equal(bad.config.proxy.bodySize, '1m');
  assert.equal(bad.errors.length, 1);
});

test('canary annotations', () => {
  const { config, errors } = parse({
    canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes',
    'canary-by-header-pattern': '^b.*', 'canary-by-cookie': 'beta', 'canary-weight': '20', 'canary-weight-total': '1000',
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(config.canary, {
    enabled: true, header: 'X-Canary', headerValue: 'yes', headerPattern: '^b.*', cookie: 'beta', weight: 20, weightTotal: 1000,
  });
  const bad = parse({ canary: 'true', 'canary-by-header-pattern': '([' });
  assert.equal(bad.config.canary.headerPattern, '');
  assert.equal(bad.errors.length, 1);
});

test('affinity annotations', () => {
  const { config, errors } = parse({
    affinity: 'cookie', 'affinity-mode': 'persistent', 'session-cookie-name': 'route',
    'session-cookie-path': '/app', 'session-cookie-samesite': 'Strict', 'session-cookie-expires': '172800',
    'session-cookie-max-age': '172800', 'session-cookie-secure': 'true', 'session-cookie-change-on-failure': 'true',
  });
  assert.deepEqual(errors, []);
  assert.equal(config.affinity.type, 'cookie');
  assert.equal(config.affinity.mode, 'persistent');
  assert.equal(config.affinity.cookieName, 'route');
  assert.equal(config.affinity.cookiePath, '/app');
  assert.equal(config.affinity.cookieSameSite, 'Strict');
  assert.equal(config.affinity.cookieExpires, '172800');
  assert.equal(config.affinity.cookieMaxAge, '172800');
  assert.equal(config.affinity.cookieSecure, true);
  assert.equal(config.affinity.changeOnFailure, true);
  const bad = parse({ affinity: 'ip', 'affinity-mode': 'sticky', 'session-cookie-samesite': 'lax', 'session-cookie-expires': 'soon' });
  assert.equal(bad.config.affinity.type, '');
  assert.equal(bad.config.affinity.mode, 'balanced');
  assert.equal(bad.config.affinity.cookieSameSite, '');
  assert.equal(bad.config.affinity.cookieExpires, '');
  assert.equal(bad.errors.length, 4);
});

test('source ranges parse CIDRs and bare addresses; one bad entry drops the annotation', () => {
  const { config, errors } = parse({ 'whitelist-source-range': '10.0.0.0/8, 192.168.1.7,fd00::/8', 'limit-whitelist': '127.0.0.1/32' });
  assert.deepEqual(errors, []);
  assert.deepEqual(config.whitelistSourceRange.map((c) => [c.family, c.prefix]), [[4, 8], [4, 32], [6, 8]]);
  assert.equal(config.rateLimit.whitelist.length, 1);
  assert.equal(config.denied, '');
  const bad = parse({ 'whitelist-source-range': '10.0.0.0/8,not-an-ip' });
  assert.deepEqual(bad.config.whitelistSourceRange, []);
  assert.match(bad.config.denied, /whitelist-source-range/, 'ingress-nginx denies the location instead of opening it');
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!, /whitelist-source-range.*not-an-ip/);
  const badLimit = parse({ 'limit-whitelist': 'nope' });
  assert.equal(badLimit.config.denied, '');
  assert.deepEqual(badLimit.config.rateLimit.whitelist, []);
});

test('CORS options: origins are kept when valid, the rest reported', () => {
  const { config, errors } = parse({
    'enable-cors': 'true', 'cors-allow-origin': 'https://a.example.com, https://*.example.org:8443, bogus',
    'cors-allow-methods': 'GET, POST', 'cors-allow-headers': 'X-Custom,Content-Type', 'cors-expose-headers': 'X-Total',
    'cors-allow-credentials': 'false', 'cors-max-age': '600',
  });
  assert.equal(config.cors.enabled, true);
  assert.deepEqual(config.cors.allowOrigin, ['https://a.example.com', 'https://*.example.org:8443']);
  assert.equal(config.cors.allowMethods, 'GET, POST');
  assert.equal(config.cors.allowHeaders, 'X-Custom,Content-Type');
  assert.equal(config.cors.exposeHeaders, 'X-Total');
  assert.equal(config.cors.allowCredentials, false);
  assert.equal(config.cors.maxAge, 600);
  assert.equal(errors.length, 1);
  const bad = parse({ 'cors-allow-methods': 'GET; rm -rf', 'cors-allow-headers': "X-A'" });
  assert.equal(bad.config.cors.allowMethods, 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
  assert.equal(bad.errors.length, 2);
});

test('redirect annotations', () => {
  const ok = parse({ 'permanent-redirect': 'https://example.com/new', 'permanent-redirect-code': '308', 'temporal-redirect': 'http://t.example/' });
  assert.equal(ok.config.redirect.permanentRedirect, 'https://example.com/new');
  assert.equal(ok.config.redirect.permanentRedirectCode, 308);
  assert.equal(ok.config.redirect.temporalRedirect, 'http://t.example/');
  const bad = parse({ 'permanent-redirect': 'ftp://x/', 'permanent-redirect-code': '200', 'app-root': 'app' });
  assert.equal(bad.config.redirect.permanentRedirect, '');
  assert.equal(bad.config.redirect.permanentRedirectCode, 301);
  assert.equal(bad.config.rewrite.appRoot, '');
  assert.equal(bad.errors.length, 3);
  assert.equal(parse({ 'app-root': '/app1' }).config.rewrite.appRoot, '/app1');
});

test('proxy and backend annotations', () => {
  const { config, errors } = parse({
    'proxy-connect-timeout': '2', 'proxy-send-timeout': '10', 'proxy-next-upstream': 'error timeout http_502',
    'proxy-next-upstream-tries': '5', 'proxy-next-upstream-timeout': '7', 'backend-protocol': 'https',
    'upstream-vhost': 'internal.example', 'default-backend': 'fallback', 'x-forwarded-prefix': '/api',
  });
  assert.deepEqual(errors, []);
  assert.equal(config.proxy.connectTimeoutSeconds, 2);
  assert.equal(config.proxy.sendTimeoutSeconds, 10);
  assert.deepEqual(config.proxy.nextUpstream, ['error', 'timeout', 'http_502']);
  assert.equal(config.proxy.nextUpstreamTries, 5);
  assert.equal(config.proxy.nextUpstreamTimeoutSeconds, 7);
  assert.equal(config.backendProtocol, 'HTTPS');
  assert.equal(config.upstreamVhost, 'internal.example');
  assert.equal(config.defaultBackend, 'fallback');
  assert.equal(config.rewrite.xForwardedPrefix, '/api');
  const bad = parse({ 'backend-protocol': 'SPDY', 'proxy-next-upstream': 'error sometimes' });
  assert.equal(bad.config.backendProtocol, 'HTTP');
  assert.deepEqual(bad.config.proxy.nextUpstream, ['error', 'timeout']);
  assert.equal(bad.errors.length, 2);
});

test('an empty value is reported and the default kept', () => {
  const { config, errors } = parse({ 'session-cookie-name': '  ' });
  assert.equal(config.affinity.cookieName, 'INGRESSCOOKIE');
  assert.equal(errors.length, 1);
});
