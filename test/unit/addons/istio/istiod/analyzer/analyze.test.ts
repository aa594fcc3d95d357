import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../../../src/api/types.js';
import { analyze, type AnalysisInput } from '../../../../../../src/addons/istio/istiod/analyzer/analyze.js';

const o = (kind: string, ns: string, name: string, spec: unknown, labels?: Record<string, string>): KObject =>
  ({ apiVersion: kind === 'Service' || kind === 'Pod' ? 'v1' : 'networking.istio.io/v1', kind, metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, spec } as KObject);

const world = (over: Partial<AnalysisInput> = {}): AnalysisInput => ({
  gateways: [o('Gateway', 'default', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'] }] })],
  virtualServices: [],
  destinationRules: [o('DestinationRule', 'default', 'reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] })],
  serviceEntries: [o('ServiceEntry', 'default', 'ext', { hosts: ['api.external.com', '*.wild.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' })],
  services: [o('Service', 'default', 'reviews', { ports: [{ port: 9080 }] })],
  pods: [o('Pod', 'default', 'reviews-v1-abc', {}, { app: 'reviews', version: 'v1' })],
  ...over,
});

/** "Kind ns/name: Level [CODE] text" for each finding. */
function lines(input: AnalysisInput): string[] {
  return analyze(input).map((f) => `${f.resource.kind} ${f.resource.metadata.namespace}/${f.resource.metadata.name}: ${f.message.type.level} [${f.message.type.code}] ${f.message.text}`);
}

const vs = (name: string, spec: Record<string, unknown>) => o('VirtualService', 'default', name, spec);

test('a consistent world has nothing to say', () => {
  const ok = vs('reviews', {
    hosts: ['reviews.example.com'], gateways: ['gw'],
    http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }, { destination: { host: 'reviews.default.svc.cluster.local' } }, { destination: { host: 'api.external.com' } }, { destination: { host: 'x.wild.com' } }] }],
  });
  assert.deepEqual(lines(world({ virtualServices: [ok] })), []);
});

test('IST0101: a missing host, subset, mirror host or gateway', () => {
  const bad = vs('reviews', {
    hosts: ['reviews.example.com'], gateways: ['missing-gw'],
    http: [{ route: [{ destination: { host: 'ratings' } }, { destination: { host: 'reviews', subset: 'v9' } }], mirror: { host: 'shadow' } }],
  });
  assert.deepEqual(lines(world({ virtualServices: [bad] })), [
    'VirtualService default/reviews: Error [IST0101] Referenced host not found: "ratings"',
    'VirtualService default/reviews: Error [IST0101] Referenced mirror host not found: "shadow"',
    'VirtualService default/reviews: Error [IST0101] Referenced host+subset in destinationrule not found: "reviews+v9"',
    'VirtualService default/reviews: Error [IST0101] Referenced gateway not found: "missing-gw"',
    'VirtualService default/reviews: Warning [IST0132] one or more host [reviews.example.com] defined in VirtualService default/reviews not found in Gateway default/missing-gw.',
  ]);
});

test('IST0132: a host the bound Gateway does not serve; namespaced gateway hosts count for their namespace only', () => {
  const other = vs('shop', { hosts: ['shop.other.org', 'www.other.org'], gateways: ['default/gw'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
  assert.deepEqual(lines(world({ virtualServices: [other] })), [
    'VirtualService default/shop: Warning [IST0132] one or more host [shop.other.org www.other.org] defined in VirtualService default/shop not found in Gateway default/gw.',
  ]);
  const gw = o('Gateway', 'default', 'gw', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['./shop.other.org', 'prod/x.org'] }] });
  assert.deepEqual(lines(world({ gateways: [gw], virtualServices: [other] })), []);
});

test('IST0109: two mesh VirtualServices for one host, each reported once; gateway-bound ones do not count', () => {
  const a = vs('a', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
  const b = vs('b', { hosts: ['reviews.default.svc.cluster.local'], gateways: ['mesh'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
  const c = vs('c', { hosts: ['reviews.example.com'], gateways: ['gw'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
  const text = 'The VirtualServices default/a,default/b associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
  assert.deepEqual(lines(world({ virtualServices: [a, b, c] })), [`VirtualService default/a: Error [IST0109] ${text}`, `VirtualService default/b: Error [IST0109] ${text}`]);
});

test('IST0173: a subset that selects no pod; IST0174: a DestinationRule host that is no service', () => {
  const dr = o('DestinationRule', 'default', 'reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
  const nohost = o('DestinationRule', 'default', 'ghost', { host: 'ghost', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
  assert.deepEqual(lines(world({ destinationRules: [dr, nohost] })), [
    'DestinationRule default/reviews: Error [IST0173] The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
    'DestinationRule default/ghost: Warning [IST0174] The host ghost defined in the DestinationRule does not match any services in the mesh.',
  ]);
});
