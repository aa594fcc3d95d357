import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngressAnnotations } from '../../../../../src/addons/ingress/annotations.js';
import { corsOriginAllowed, corsPreflight, corsResponseHeaders } from '../../../../../src/addons/ingress/policies/cors.js';

const cfg = (a: Record<string, string> = {}) =>
  parseIngressAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]))).config;

test('disabled CORS does nothing', () => {
  const c = cfg().cors;
  assert.equal(corsPreflight(c, 'OPTIONS', 'https://a.com'), undefined);
  assert.equal(corsResponseHeaders(c, 'https://a.com'), undefined);
});

test('preflight with the defaults: 204 and ingress-nginx headers', () => {
  const c = cfg({ 'enable-cors': 'true' }).cors;
  assert.deepEqual(corsPreflight(c, 'OPTIONS', 'https://any.example'), {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      'Access-Control-Allow-Headers':
        'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
      'Access-Control-Max-Age': '1728000',
      'Content-Type': 'text/plain charset=UTF-8',
      'Content-Length': '0',
    },
    body: '',
  });
  assert.equal(corsPreflight(c, 'OPTIONS', undefined)?.status, 204, 'the wildcard needs no Origin');
  assert.equal(corsPreflight(c, 'GET', 'https://a.example'), undefined);
  assert.equal(corsResponseHeaders(c, undefined)?.['Access-Control-Allow-Origin'], '*');
});

test('origin lists echo the Origin; "*." matches exactly one label', () => {
  const c = cfg({
    'enable-cors': 'true', 'cors-allow-origin': 'https://app.example.com, https://*.example.org',
    'cors-allow-credentials': 'false', 'cors-expose-headers': 'X-Total-Count',
  }).cors;
  assert.equal(corsOriginAllowed(c, 'https://app.example.com'), true);
  assert.equal(corsOriginAllowed(c, 'HTTPS://APP.EXAMPLE.COM'), true, 'case-insensitive');
  assert.equal(corsOriginAllowed(c, 'https://a.example.org'), true);
  assert.equal(corsOriginAllowed(c, 'https://a.b.example.org'), false);
  assert.equal(corsOriginAllowed(c, 'https://example.org'), false);
  assert.equal(corsOriginAllowed(c, 'http://app.example.com'), false);
  assert.equal(corsOriginAllowed(c, undefined), false);
  const h = corsResponseHeaders(c, 'https://a.example.org')!;
  assert.equal(h['Access-Control-Allow-Origin'], 'https://a.example.org');
  assert.equal(h['Access-Control-Allow-Credentials'], undefined);
  assert.equal(h['Access-Control-Expose-Headers'], 'X-Total-Count');
  assert.equal(corsPreflight(c, 'OPTIONS', 'https://evil.test'), undefined, 'refused origins go upstream');
  assert.equal(corsResponseHeaders(c, 'https://evil.test'), undefined);
});
