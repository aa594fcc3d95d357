import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { ingress, NGINX_CLASS, route, service, slice, table, type PathSpec } from './fixtures.js';
import { normalizePath, parseRequestTarget } from '../../../../src/addons/ingress/paths.js';
import { findLocation, findServer } from '../../../../src/addons/ingress/routes.js';

// The Kubernetes documentation's path-matching examples (networking-semantics.md §2.2), exactly:
// nginx's 301 for a missing trailing slash is not applied to Exact and Prefix paths.
const EXAMPLES: { paths: PathSpec[]; request: string; expect: string }[] = [
  { paths: [{ path: '/', type: 'Prefix', service: 'root' }], request: '/anything/at/all', expect: 'root' },
  { paths: [{ path: '/foo', type: 'Exact', service: 'foo' }], request: '/foo', expect: 'foo' },
  { paths: [{ path: '/foo', type: 'Exact', service: 'foo' }], request: '/bar', expect: '404' },
  { paths: [{ path: '/foo', type: 'Exact', service: 'foo' }], request: '/foo/', expect: '404' },
  { paths: [{ path: '/foo/', type: 'Exact', service: 'foo' }], request: '/foo', expect: '404' },
  { paths: [{ path: '/foo', type: 'Prefix', service: 'foo' }], request: '/foo', expect: 'foo' },
  { paths: [{ path: '/foo', type: 'Prefix', service: 'foo' }], request: '/foo/', expect: 'foo' },
  { paths: [{ path: '/foo/', type: 'Prefix', service: 'foo' }], request: '/foo', expect: 'foo' },
  { paths: [{ path: '/foo/', type: 'Prefix', service: 'foo' }], request: '/foo/', expect: 'foo' },
  { paths: [{ path: '/aaa/bb', type: 'Prefix', service: 'bb' }], request: '/aaa/bbb', expect: '404' },
  { paths: [{ path: '/aaa/bbb', type: 'Prefix', service: 'bbb' }], request: '/aaa/bbb', expect: 'bbb' },
  { paths: [{ path: '/aaa/bbb/', type: 'Prefix', service: 'bbb' }], request: '/aaa/bbb', expect: 'bbb' },
  { paths: [{ path: '/aaa/bbb', type: 'Prefix', service: 'bbb' }], request: '/aaa/bbb/', expect: 'bbb' },
  { paths: [{ path: '/aaa/bbb', type: 'Prefix', service: 'bbb' }], request: '/aaa/bbb/ccc', expect: 'bbb' },
  { paths: [{ path: '/aaa/bbb', type: 'Prefix', service: 'bbb' }], request: '/aaa/bbbxyz', expect: '404' },
  { paths: [{ path: '/', service: 'root' }, { path: '/aaa', service: 'aaa' }], request: '/aaa/ccc', expect: 'aaa' },
  { paths: [{ path: '/', service: 'root' }, { path: '/aaa', service: 'aaa' }, { path: '/aaa/bbb', service: 'bbb' }], request: '/aaa/bbb', expect: 'bbb' },
  { paths: [{ path: '/', service: 'root' }, { path: '/aaa', service: 'aaa' }, { path: '/aaa/bbb', service: 'bbb' }], request: '/ccc', expect: 'root' },
  { paths: [{ path: '/aaa', service: 'aaa' }], request: '/ccc', expect: '404' },
  { paths: [{ path: '/foo', type: 'Prefix', service: 'prefix' }, { path: '/foo', type: 'Exact', service: 'exact' }], request: '/foo', expect: 'exact' },
];

test('the Kubernetes path-matching examples', () => {
  for (const ex of EXAMPLES) {
    const t = table([ingress('ex', [{ host: 'foo.bar.com', paths: ex.paths }])]);
    const what = `${ex.paths.map((p) => `${p.type ?? 'Prefix'} ${p.path}`).join(' + ')} ← ${ex.request}`;
    assert.equal(route(t, 'foo.bar.com', ex.request), ex.expect, what);
  }
});

test('Exact beats Prefix on a tie whichever Ingress is older', () => {
  const t = table([
    ingress('a', [{ host: 'h', paths: [{ path: '/foo', type: 'Exact', service: 'exact' }] }]),
    ingress('b', [{ host: 'h', paths: [{ path: '/foo', type: 'Prefix', service: 'prefix' }] }]),
  ]);
  assert.equal(route(t, 'h', '/foo'), 'exact');
  assert.equal(route(t, 'h', '/foo/x'), 'prefix');
});

test('hosts: exact first, a wildcard matches one label, rules without host catch the rest', () => {
  const t = table([
    ingress('a', [
      { host: 'foo.bar.com', paths: [{ path: '/', service: 'exact' }] },
      { host: '*.bar.com', paths: [{ path: '/', service: 'wild' }] },
      { paths: [{ path: '/', service: 'nohost' }] },
    ]),
  ]);
  assert.equal(route(t, 'foo.bar.com', '/'), 'exact');
  assert.equal(route(t, 'FOO.bar.com:8080', '/'), 'exact');
  assert.equal(route(t, 'baz.bar.com', '/'), 'wild');
  assert.equal(route(t, 'baz.foo.bar.com', '/'), 'nohost');
  assert.equal(route(t, 'bar.com', '/'), 'nohost');
  assert.equal(route(t, undefined, '/'), 'nohost');
});

test('an unknown host gets the default backend (404); a host with no / path does too', () => {
  const t = table([ingress('a', [{ host: 'a.com', paths: [{ path: '/api', service: 'api' }] }])]);
  assert.equal(route(t, 'b.com', '/api'), '404');
  assert.equal(route(t, 'a.com', '/other'), '404');
  assert.equal(route(t, 'a.com', '/api/x'), 'api');
});

test('spec.defaultBackend serves the unmatched paths of its hosts, and everything when it has no rules', () => {
  const t = table([ingress('a', [{ host: 'a.com', paths: [{ path: '/api', service: 'api' }] }], { defaultBackend: 'fallback' })], {
    services: [service('api'), service('fallback')],
  });
  assert.equal(route(t, 'a.com', '/other'), 'fallback');
  const only = table([ingress('b', [], { defaultBackend: 'fallback' })], { services: [service('fallback')] });
  assert.equal(route(only, 'any.host', '/x'), 'fallback');
});

test('regex mode: use-regex on one Ingress makes every path of the host a case-insensitive start-anchored regex', () => {
  const t = table([
    ingress('plain', [{ host: 'h', paths: [{ path: '/HEAD', type: 'Exact', service: 'head' }] }]),
    ingress('rx', [{ host: 'h', paths: [{ path: '/u[A-Z]', type: 'ImplementationSpecific', service: 'rx' }] }], {
      annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' },
    }),
    ingress('other', [{ host: 'other', paths: [{ path: '/HEAD', type: 'Exact', service: 'head' }] }]),
  ]);
  assert.equal(route(t, 'h', '/uuid'), 'rx');
  assert.equal(route(t, 'h', '/headers'), 'head');
  assert.equal(route(t, 'other', '/headers'), '404', 'only the host with the annotation changes');
});

test('rewrite-target implies regex mode; the scenario 003 path routes /api and /api/... but not /apix', () => {
  const t = table([
    ingress('my-ingress', [{ host: 'example.com', paths: [{ path: '/api(/|$)(.*)', type: 'ImplementationSpecific', service: 'my-service' }] }], {
      className: 'nginx',
      annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true', 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
    }),
  ]);
  assert.equal(route(t, 'example.com', '/api/some/resource'), 'my-service');
  assert.equal(route(t, 'example.com', '/api'), 'my-service');
  assert.equal(route(t, 'example.com', '/apix'), '404');
  assert.equal(route(t, 'example.com', '/other'), '404');
  const server = findServer(t, 'example.com');
  const m = findLocation(server, '/api/some/resource');
  assert.equal(m.kind === 'location' && m.captures?.[2], 'some/resource');
});

test('regex locations are tried longest path first', () => {
  const t = table([
    ingress('rx', [{ host: 'h', paths: [{ path: '/a.*', type: 'ImplementationSpecific', service: 'short' }, { path: '/abc/d.*', type: 'ImplementationSpecific', service: 'long' }] }], {
      annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' },
    }),
  ]);
  assert.equal(route(t, 'h', '/abc/dx'), 'long');
  assert.equal(route(t, 'h', '/abc/x'), 'short');
});

test('ImplementationSpecific without regex is nginx\'s character prefix, with its 301 for a missing slash', () => {
  const t = table([ingress('a', [{ host: 'h', paths: [{ path: '/foo', type: 'ImplementationSpecific', service: 'foo' }, { path: '/my-path/', type: 'ImplementationSpecific', service: 'my' }] }])]);
  assert.equal(route(t, 'h', '/foobar'), 'foo');
  assert.equal(route(t, 'h', '/my-path'), '301 /my-path/');
  assert.equal(route(t, 'h', '/my-path', true), 'my');
});

test('URLs are normalised before matching', () => {
  assert.equal(normalizePath('/a//b/./c/../d'), '/a/b/d');
  assert.equal(normalizePath('/a/b/..'), '/a/');
  assert.equal(normalizePath('/..'), undefined);
  assert.deepEqual(parseRequestTarget('/a%2Fb/%7Ex?q=1'), { path: '/a/b/~x', search: '?q=1' });
  assert.equal(parseRequestTarget('/%zz'), undefined);
  const t = table([ingress('a', [{ host: 'h', paths: [{ path: '/api', type: 'Exact', service: 'api' }] }])]);
  assert.equal(route(t, 'h', '//x/../api'), 'api');
});

test('class selection: ingressClassName, the legacy annotation, or no class with nginx the default', () => {
  const mk = (name: string, opts: { className?: string; annotations?: Record<string, string> }) =>
    ingress(name, [{ host: `${name}.com`, paths: [{ path: '/', service: name }] }], opts);
  const ings = [
    mk('named', { className: 'nginx' }),
    mk('legacy', { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }),
    mk('noclass', {}),
    mk('other', { className: 'traefik' }),
    mk('legacyother', { annotations: { 'kubernetes.io/ingress.class': 'traefik' }, className: 'nginx' }),
  ];
  const t = table(ings);
  assert.deepEqual(t.served.map((s) => s.name).sort(), ['legacy', 'named', 'noclass']);
  const notDefault = { ...NGINX_CLASS, metadata: { name: 'nginx' } };
  const t2 = table(ings, { classes: [notDefault] });
  assert.deepEqual(t2.served.map((s) => s.name).sort(), ['legacy', 'named']);
});

test('backends resolve to ready endpoints of the named Service port', () => {
  const t = table([ingress('a', [{ host: 'h', paths: [{ path: '/', service: 'web', port: 8080 }] }])], {
    services: [service('web', [{ name: 'http', port: 8080 }])],
    slices: [slice('web', ['10.244.1.2', '10.244.1.3'], 80, { portName: 'http' }), slice('web', ['10.244.1.9'], 80, { portName: 'http', ready: false })],
  });
  const m = findLocation(findServer(t, 'h'), '/');
  assert.equal(m.kind, 'location');
  if (m.kind !== 'location') return;
  assert.deepEqual(m.location.upstream?.endpoints.map((e) => e.key), ['10.244.1.2:80', '10.244.1.3:80']);
  assert.equal(m.location.upstream?.name, 'default-web-8080');
});

test('a canary Ingress attaches to the primary location of the same host and path', () => {
  const t = table([
    ingress('main', [{ host: 'h', paths: [{ path: '/', service: 'stable' }] }]),
    ingress('canary', [{ host: 'h', paths: [{ path: '/', service: 'next' }] }], {
      annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '20' },
    }),
  ]);
  const m = findLocation(findServer(t, 'h'), '/x');
  assert.equal(m.kind, 'location');
  if (m.kind !== 'location') return;
  assert.equal(m.location.upstream?.service, 'stable');
  assert.equal(m.location.canary?.upstream.service, 'next');
  assert.equal(m.location.canary?.config.canary.weight, 20);
});

test('TLS hosts map to their Secret', () => {
  const t = table([
    ingress('www', [{ host: 'www.svc.com', paths: [{ path: '/', service: 'www' }] }], { tls: [{ hosts: ['www.svc.com', 'manage.svc.com'], secretName: 'svc-com-tls' }] }),
  ]);
  assert.equal(t.tlsHosts.get('www.svc.com'), 'default/svc-com-tls');
  assert.equal(t.tlsHosts.get('manage.svc.com'), 'default/svc-com-tls');
  assert.equal(findServer(t, 'www.svc.com').tlsSecret, 'default/svc-com-tls');
});

test('an ExternalName Service is one endpoint: its name and target port, resolved when connecting; loopback names are refused', () => {
  const ext = (externalName: string): KObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ext', namespace: 'default' },
    spec: { type: 'ExternalName', externalName, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  const ing = ingress('i', [{ host: 'h.test', paths: [{ path: '/', service: 'ext' }] }]);
  const up = (svc: KObject) => {
    const m = findLocation(findServer(table([ing], { services: [svc] }), 'h.test'), '/');
    return m.kind === 'location' ? m.location.upstream : undefined;
  };
  assert.deepEqual(up(ext('web.default.svc.cluster.local.'))?.endpoints, [{ address: 'web.default.svc.cluster.local', port: 8080, key: 'web.default.svc.cluster.local:8080' }]);
  assert.deepEqual(up(ext('localhost'))?.endpoints, []);
  assert.deepEqual(up(ext('127.0.0.5'))?.endpoints, []);
  assert.deepEqual(up(ext('Not_A_Name'))?.endpoints, []);
  const t = table([ing], { services: [ext('localhost')] });
  assert.ok(t.warnings.some((w) => /ExternalName/.test(w)), t.warnings.join('\n'));
});
