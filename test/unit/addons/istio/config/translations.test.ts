import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTranslations } from '../../../../../src/addons/istio/config/translations.js';
import type { ClusterResolver, HTTPRoute } from '../../../../../src/addons/istio/config/routes.js';
import type { KObject } from '../../../../../src/api/types.js';

const vs = (name: string, http: HTTPRoute[]): { obj: KObject; http: HTTPRoute[] } => ({
  obj: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'default' }, spec: { http } } as KObject,
  http,
});

const HTTP: HTTPRoute[] = [
  { match: [{ port: 8080 }], route: [{ destination: { host: 'other' } }] },
  { route: [{ destination: { host: 'web', port: { number: 80 } } }] },
];

/** A build's resolver: the clusters it was asked to build. */
function resolver(): { resolve: ClusterResolver; has(cluster: string): boolean; asked: string[] } {
  const asked: string[] = [];
  const built = new Set<string>();
  const resolve: ClusterResolver = (d, ns) => {
    asked.push(`${d?.host}@${ns}`);
    const name = `outbound|80||${d?.host}.${ns}.svc.cluster.local`;
    built.add(name);
    return name;
  };
  return { asked, resolve, has: (c) => built.has(c) };
}

test('an unchanged VirtualService is translated once per listener, and a reuse still resolves its destinations', () => {
  const t = new RouteTranslations();
  const registry = [[], []];
  const a = vs('a', HTTP);
  t.begin(registry);
  const r1 = resolver();
  const first = t.routes(a.obj, a.http, 'istio-system|default/gw|80', { port: 80, gateway: 'default/gw', resolve: r1.resolve, has: r1.has });
  assert.equal(first.length, 1, 'the route for port 8080 only is left out on port 80');
  assert.equal(first[0]!.action.kind === 'route' && first[0]!.action.clusters[0]!.cluster, 'outbound|80||web.default.svc.cluster.local');
  assert.deepEqual(r1.asked, ['web@default']);

  t.begin(registry);
  const r2 = resolver();
  const again = t.routes(a.obj, a.http, 'istio-system|default/gw|80', { port: 80, gateway: 'default/gw', resolve: r2.resolve, has: r2.has });
  assert.equal(again, first, 'the very same routes');
  assert.deepEqual(r2.asked, ['web@default'], 'the build is told the clusters the routes name');
  t.routes(a.obj, a.http, 'istio-system|default/gw|80', { port: 80, gateway: 'default/gw', resolve: r2.resolve, has: r2.has });
  assert.deepEqual(r2.asked, ['web@default'], 'a cluster the build has already is not built again');

  const other = t.routes(a.obj, a.http, 'istio-system|default/gw|8080', { port: 8080, gateway: 'default/gw', resolve: r2.resolve, has: r2.has });
  assert.equal(other.length, 2, 'another listener is a translation of its own');
});

test('a changed VirtualService (a new object) or a different registry is translated again', () => {
  const t = new RouteTranslations();
  const registry = [[], []];
  const a = vs('a', HTTP);
  const ctx = { port: 80, gateway: 'default/gw', ...resolver() };
  t.begin(registry);
  const first = t.routes(a.obj, a.http, 's', ctx);
  const edited = vs('a', HTTP);
  assert.notEqual(t.routes(edited.obj, edited.http, 's', ctx), first);
  t.begin([registry[0], []]);
  const r = resolver();
  const fresh = t.routes(a.obj, a.http, 's', { ...ctx, ...r });
  assert.notEqual(fresh, first);
  assert.deepEqual(fresh, first);
});

test('a virtual host made of the same parts is the last build\'s object; other parts, a new registry or a skipped build make it anew', () => {
  const t = new RouteTranslations();
  const registry = [[]];
  const part = [{ name: 'default/a', matches: [], action: { kind: 'direct' as const, status: 200, body: '' } }];
  const make = () => ({ domains: ['a.test'], routes: [...part] });
  t.begin(registry);
  const first = t.virtualHost('80|a.test', [false, part], make);
  t.begin(registry);
  assert.equal(t.virtualHost('80|a.test', [false, part], make), first);
  t.begin(registry);
  const other = t.virtualHost('80|a.test', [true, part], make);
  assert.notEqual(other, first);
  t.begin(registry);
  t.begin(registry);
  assert.notEqual(t.virtualHost('80|a.test', [true, part], make), other, 'a build without it forgets it');
  t.begin([[]]);
  assert.notEqual(t.virtualHost('80|a.test', [true, part], make), other);
});
