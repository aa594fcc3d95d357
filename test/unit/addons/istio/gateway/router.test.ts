import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Listener, Route } from '../../../../../src/addons/istio/config/types.js';
import { ListenerRoutes, rewritePath, type RequestFacts } from '../../../../../src/addons/istio/gateway/router.js';

const route = (name: string, matches: Route['matches']): Route => ({ name, matches, action: { kind: 'direct', status: 200, body: name } });

function listener(): ListenerRoutes {
  const l: Listener = {
    port: 8080,
    serverPort: 80,
    protocol: 'HTTP',
    virtualHosts: [
      {
        domains: ['example.com'],
        routes: [
          route('canary', [{ headers: { 'x-canary': { exact: 'yes' } }, method: { exact: 'GET' } }]),
          route('regex', [{ uri: { regex: '/v[0-9]+/items' } }]),
          route('exact-or-query', [{ uri: { exact: '/exact' } }, { queryParams: { id: { regex: '\\d+' } } }]),
          route('without', [{ uri: { prefix: '/w' }, withoutHeaders: { 'x-block': { present: true } } }]),
          route('api', [{ uri: { prefix: '/API' }, ignoreUriCase: true }]),
        ],
      },
      { domains: ['*.example.com'], routes: [route('wild', [])] },
      { domains: ['*'], routes: [route('star', [{ authority: { prefix: 'other' } }])] },
    ],
  };
  return new ListenerRoutes(l);
}

const req = (over: Partial<RequestFacts> & { headers?: Record<string, string> } = {}): RequestFacts => ({
  method: 'GET',
  path: '/',
  query: '',
  scheme: 'http',
  authority: 'example.com',
  ...over,
  header: (n) => over.headers?.[n],
});

const chosen = (r: RequestFacts) => listener().select(r)?.route.name;

test('the first route whose match admits the request wins; fields of one match are ANDed, matches ORed', () => {
  assert.equal(chosen(req({ headers: { 'x-canary': 'yes' }, path: '/api' })), 'canary');
  assert.equal(chosen(req({ headers: { 'x-canary': 'yes' }, method: 'POST', path: '/api' })), 'api');
  assert.equal(chosen(req({ path: '/exact' })), 'exact-or-query');
  assert.equal(chosen(req({ path: '/x', query: 'id=42' })), 'exact-or-query');
  assert.equal(chosen(req({ path: '/x', query: 'id=a42' })), undefined);
});

test('regex is a full match; prefix is a plain string prefix; ignoreUriCase; withoutHeaders', () => {
  assert.equal(chosen(req({ path: '/v2/items' })), 'regex');
  assert.equal(chosen(req({ path: '/v2/items/1' })), undefined);
  assert.equal(chosen(req({ path: '/apiary' })), 'api');
  assert.equal(chosen(req({ path: '/w' })), 'without');
  assert.equal(chosen(req({ path: '/w', headers: { 'x-block': '' } })), undefined);
});

test('virtual hosts: exact name (port ignored), then the longest *. suffix, then *; no route is undefined (404)', () => {
  assert.equal(chosen(req({ authority: 'example.com:80', path: '/api' })), 'api');
  assert.equal(chosen(req({ authority: 'a.example.com' })), 'wild');
  assert.equal(chosen(req({ authority: 'other.org' })), 'star');
  assert.equal(chosen(req({ authority: 'nothing.org' })), undefined);
  assert.equal(chosen(req({ path: '/' })), undefined);
});

test('rewrite.uri replaces the matched prefix, or the whole path for an exact match', () => {
  assert.equal(rewritePath('/greet/x', { uri: { prefix: '/greet' } }, '/'), '//x');
  assert.equal(rewritePath('/greet', { uri: { prefix: '/greet' } }, '/'), '/');
  assert.equal(rewritePath('/old', { uri: { exact: '/old' } }, '/new'), '/new');
  assert.equal(rewritePath('/a/b', undefined, '/v2/'), '/v2/a/b');
});
