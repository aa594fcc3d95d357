import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngressAnnotations } from '../../../../../src/addons/ingress/annotations.js';
import { annotationRedirect, appRootRedirect, sslRedirect, type RedirectRequest } from '../../../../../src/addons/ingress/policies/redirect.js';
import { escapeRewrittenUri, forwardedPrefixHeader, locationRegex, rewriteTarget } from '../../../../../src/addons/ingress/policies/rewrite.js';
import { nginxPage, nginxStatusText } from '../../../../../src/addons/ingress/policies/responses.js';

const cfg = (a: Record<string, string> = {}) =>
  parseIngressAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]))).config;

const req = (over: Partial<RedirectRequest> = {}): RedirectRequest => ({
  scheme: 'http', host: 'www.svc.com', path: '/', requestUri: '/', ...over,
});

test("nginx's own pages, byte for byte", () => {
  assert.deepEqual(nginxPage(503), {
    status: 503,
    headers: { 'Content-Type': 'text/html' },
    body: '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n' +
      '<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
  });
  assert.match(nginxPage(413).body, /<title>413 Request Entity Too Large<\/title>/);
  assert.match(nginxPage(308).body, /<h1>308 Permanent Redirect<\/h1>/);
  assert.equal(nginxPage(204).body, '');
  assert.equal(nginxStatusText(302), 'Moved Temporarily', 'status line');
  assert.match(nginxPage(302).body, /<title>302 Found<\/title>/, 'page title');
  assert.equal(nginxStatusText(503), 'Service Temporarily Unavailable');
  assert.equal(nginxStatusText(418), '');
});

test('app-root: 302 from / only', () => {
  const c = cfg({ 'app-root': '/app1' });
  const r = appRootRedirect(c.rewrite, req({ host: 'approot.bar.com:8080' }));
  assert.equal(r?.status, 302);
  assert.equal(r?.headers.Location, 'http://approot.bar.com:8080/app1');
  assert.match(r!.body, /302 Found/);
  assert.equal(appRootRedirect(c.rewrite, req({ path: '/app1', requestUri: '/app1' })), undefined);
  assert.equal(appRootRedirect(c.rewrite, req({ path: '/x' })), undefined);
  assert.equal(appRootRedirect(cfg().rewrite, req()), undefined);
  assert.equal(appRootRedirect(c.rewrite, req({ scheme: 'https' }))?.headers.Location, 'https://www.svc.com/app1');
});

test('temporal-redirect wins over permanent-redirect; codes', () => {
  assert.equal(annotationRedirect(cfg().redirect), undefined);
  const p = annotationRedirect(cfg({ 'permanent-redirect': 'https://www.google.com' }).redirect);
  assert.equal(p?.status, 301);
  assert.equal(p?.headers.Location, 'https://www.google.com');
  assert.equal(annotationRedirect(cfg({ 'permanent-redirect': 'https://x.io', 'permanent-redirect-code': '308' }).redirect)?.status, 308);
  const both = annotationRedirect(cfg({ 'permanent-redirect': 'https://p.io', 'temporal-redirect': 'https://t.io' }).redirect);
  assert.equal(both?.status, 302);
  assert.equal(both?.headers.Location, 'https://t.io');
});

test('ssl-redirect: 308 to https without port, trailing slash dropped, only with TLS', () => {
  const c = cfg();
  const r = sslRedirect(c.rewrite, req({ host: 'www.svc.com:80', requestUri: '/a/b/?q=1' }), true);
  assert.equal(r?.status, 308);
  assert.equal(r?.headers.Location, 'https://www.svc.com/a/b/?q=1');
  assert.equal(sslRedirect(c.rewrite, req({ requestUri: '/' }), true)?.headers.Location, 'https://www.svc.com');
  assert.equal(sslRedirect(c.rewrite, req({ requestUri: '/dir/' }), true)?.headers.Location, 'https://www.svc.com/dir');
  assert.equal(sslRedirect(c.rewrite, req(), false), undefined, 'no TLS for the host: no redirect');
  assert.equal(sslRedirect(c.rewrite, req({ scheme: 'https' }), true), undefined);
  assert.equal(sslRedirect(cfg({ 'ssl-redirect': 'false' }).rewrite, req(), true), undefined);
  const keep = cfg({ 'preserve-trailing-slash': 'true' });
  assert.equal(sslRedirect(keep.rewrite, req({ requestUri: '/dir/' }), true)?.headers.Location, 'https://www.svc.com/dir/');
  const force = cfg({ 'force-ssl-redirect': 'true', 'ssl-redirect': 'false' });
  assert.equal(sslRedirect(force.rewrite, req({ requestUri: '/x' }), false)?.headers.Location, 'https://www.svc.com/x');
  assert.equal(sslRedirect(c.rewrite, req({ host: '[::1]:80', requestUri: '/x' }), true)?.headers.Location, 'https://[::1]/x');
});

test('rewrite-target: scenario 003, /api(/|$)(.*) to /$2', () => {
  const c = cfg({ 'use-regex': 'true', 'rewrite-target': '/$2' });
  const path = '/api(/|$)(.*)';
  assert.deepEqual(rewriteTarget(c.rewrite, path, '/api', ''), { uri: '/', args: '' });
  assert.deepEqual(rewriteTarget(c.rewrite, path, '/api/', ''), { uri: '/', args: '' });
  assert.deepEqual(rewriteTarget(c.rewrite, path, '/api/users/7', 'x=1'), { uri: '/users/7', args: 'x=1' });
  assert.deepEqual(rewriteTarget(c.rewrite, path, '/API/Users', ''), { uri: '/Users', args: '' }, 'case-insensitive');
  assert.equal(rewriteTarget(cfg().rewrite, path, '/api/x', ''), undefined, 'no rewrite-target');
  assert.equal(rewriteTarget(c.rewrite, path, '/other', ''), undefined);
});

test('rewrite-target: documentation example /something(/|$)(.*) and /$1 forms', () => {
  const c = cfg({ 'rewrite-target': '/$2' });
  const path = '/something(/|$)(.*)';
  assert.equal(rewriteTarget(c.rewrite, path, '/something', '')?.uri, '/');
  assert.equal(rewriteTarget(c.rewrite, path, '/something/', '')?.uri, '/');
  assert.equal(rewriteTarget(c.rewrite, path, '/something/new', '')?.uri, '/new');
  const one = cfg({ 'rewrite-target': '/$1' });
  assert.equal(rewriteTarget(one.rewrite, '/something/?(.*)', '/something/new', '')?.uri, '/new');
  const plain = cfg({ 'rewrite-target': '/' });
  assert.equal(rewriteTarget(plain.rewrite, '/app', '/app/deep/path', 'a=b')?.uri, '/', 'the whole URI is replaced');
  const missing = cfg({ 'rewrite-target': '/x/$3' });
  assert.equal(rewriteTarget(missing.rewrite, '/a(/|$)(.*)', '/a/b', '')?.uri, '/x/', 'absent group is empty');
});

test('rewrite-target with a query string: nginx argument rules', () => {
  const q = cfg({ 'rewrite-target': '/search?q=$1' });
  assert.deepEqual(rewriteTarget(q.rewrite, '/s/(.*)', '/s/cats', 'page=2'), { uri: '/search', args: 'q=cats&page=2' });
  assert.deepEqual(rewriteTarget(q.rewrite, '/s/(.*)', '/s/cats', ''), { uri: '/search', args: 'q=cats' });
  const drop = cfg({ 'rewrite-target': '/plain?' });
  assert.deepEqual(rewriteTarget(drop.rewrite, '/p', '/p', 'a=1'), { uri: '/plain', args: '' });
});

test('regex locations are case-insensitive and anchored at the start only', () => {
  assert.ok(locationRegex('/u[A-Z]').test('/uuid'));
  assert.ok(locationRegex('/HEAD').test('/headers'));
  assert.ok(!locationRegex('/api').test('/v1/api'));
  assert.ok(locationRegex('/api(/|$)(.*)').test('/api'));
  assert.ok(locationRegex('/(?P<rest>.*)').test('/x'), 'RE2 named groups are accepted');
  assert.ok(locationRegex('(?i)/Api').test('/aPI/x'), 'a leading inline flag is accepted');
});

test('x-forwarded-prefix', () => {
  assert.equal(forwardedPrefixHeader(cfg().rewrite), undefined);
  assert.equal(forwardedPrefixHeader(cfg({ 'x-forwarded-prefix': '/api' }).rewrite), '/api');
});

test('rewritten URIs are re-escaped the way nginx does', () => {
  assert.equal(escapeRewrittenUri('/a b/c#d?e%f'), '/a%20b/c%23d%3Fe%25f');
  assert.equal(escapeRewrittenUri('/caf\u00e9/~x;y=1&z'), '/caf%C3%A9/~x;y=1&z');
  const c = cfg({ 'rewrite-target': '/$2' });
  const r = rewriteTarget(c.rewrite, '/api(/|$)(.*)', '/api/hello world', '');
  assert.equal(escapeRewrittenUri(r!.uri), '/hello%20world');
});
