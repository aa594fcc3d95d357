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

function resolver(): { resolve: ClusterResolver; asked: string[] } {
  const asked: string[] = [];
  return { asked, resolve: (d, ns) => (asked.push(`${d?.host}@${ns}`), `outbound|80||${d?.host}.${ns}.svc.cluster.local`) };
}

test('an unchanged VirtualService is translated once per listener, and a reuse still resolves its destinations', () => {
  const t = new RouteTranslations();
  const registry = [[], []];
  const a = vs('a', HTTP);
  t.begin(registry);
  const r1 = resolver();
  const first = t.routes(a.obj, a.http, 'istio-system|default/gw|80', { port: 80, gateway: 'default/gw', resolve: r1.resolve });
  assert.equal(first.length, 1, 'the route for port 8080 only is left out on port 80');
  assert.equal(first[0]!.action.kind === 'route' && first[0]!.action.clusters[0]!.cluster, 'outbound|80||web.default.svc.cluster.local');
  assert.deepEqual(r1.asked, ['web@default']);

  t.begin(registry);
  const r2 = resolver();
  const again = t.routes(a.obj, a.http, 'istio-system|default/gw|80', { port: 80, gateway: 'default/gw', resolve: r2.resolve });
  assert.equal(again, first, 'the very same routes');
  assert.deepEqual(r2.asked, ['web@default'], 'the build is told the clusters the routes name');

  const other = t.routes(a.obj, a.http, 'istio-system|default/gw|8080', { port: 8080, gateway: 'default/gw', resolve: r2.resolve });
  assert.equal(other.length, 2, 'another listener is a translation of its own');
});

test('a changed VirtualService (a new object) or a different registry is translated again', () => {
  const t = new RouteTranslations();
  const registry = [[], []];
  const a = vs('a', HTTP);
  const ctx = { port: 80, gateway: 'default/gw', resolve: resolver().resolve };
  t.begin(registry);
  const first = t.routes(a.obj, a.http, 's', ctx);
  const edited = vs('a', HTTP);
  assert.notEqual(t.routes(edited.obj, edited.http, 's', ctx), first);
  t.begin([registry[0], []]);
  const r = resolver();
  const fresh = t.routes(a.obj, a.http, 's', { ...ctx, resolve: r.resolve });
  assert.notEqual(fresh, first);
  assert.deepEqual(fresh, first);
});
