// Bad Istio configuration in Istio's words, through the real kubectl: invalid objects refused by
// the validation.istio.io webhook (or the CRD schema before it) and never stored; valid objects
// with broken references reported by istiod's analysis in status.validationMessages and as
// Warning events, cleared when the reference is repaired.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';

const NS = 'validation';
const DENIED = 'admission webhook "validation.istio.io" denied the request: configuration is invalid: ';

let c: Cluster;

before(async () => {
  c = await startCluster('istio-val', { nodes: 1 });
  await c.ok(['create', 'namespace', NS]);
  await c.ok(['rollout', 'status', '-n', 'istio-system', 'deployment/istiod', '--timeout=120s']);
});
after(async () => {
  await c?.down();
});

async function refused(manifest: string): Promise<string> {
  const r = await c.kubectl(['apply', '-n', NS, '-f', '-'], { input: manifest });
  assert.notEqual(r.code, 0, `expected a refusal of:\n${manifest}`);
  return r.stderr.trim();
}

const BAD: [kind: string, manifest: string, message: string][] = [
  ['Gateway', `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bad-gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["shop.example.com"]
`, 'server must have TLS settings for HTTPS/TLS protocols'],
  ['VirtualService', `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad-vs}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {regex: "/api("}}]
    route:
    - {destination: {host: reviews}, weight: 0}
    - {destination: {host: ratings}, weight: 0}
`, '2 errors occurred:\n\t* "uri": error parsing regexp: missing closing ): `/api(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)\n\t* total destination weight = 0'],
  ['DestinationRule', `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bad-dr}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v1, labels: {version: v2}}
`, 'duplicate subset names: v1'],
  ['ServiceEntry', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bad-se}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: NONE
  location: MESH_EXTERNAL
  addresses: [10.0.0.300]
`, '10.0.0.300 is not a valid IP'],
];

test('each kind: an invalid object is refused with the webhook message and not stored', async () => {
  for (const [kind, manifest, message] of BAD) {
    const err = await refused(manifest);
    assert.equal(err, `Error from server: error when creating "STDIN": ${DENIED}${message}`, kind);
    const name = /name: ([\w-]+)/.exec(manifest)![1]!;
    assert.match((await c.kubectl(['get', kind.toLowerCase(), '-n', NS, name])).stderr, /NotFound|not found/, kind);
  }
});

test('the CRD schema refuses first; an update is checked as a create is; warnings are shown', async () => {
  assert.equal(
    await refused('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: nohost}\nspec: {subsets: [{name: v1}]}\n'),
    'The DestinationRule "nohost" is invalid: spec.host: Required value',
  );
  const vs = (timeout: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edited}
spec:
  hosts: [reviews]
  gateways: [gw.${NS}]
  http: [{timeout: ${timeout}, route: [{destination: {host: reviews}}]}]
`;
  const created = await c.kubectl(['apply', '-n', NS, '-f', '-'], { input: vs('10s') });
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stderr.trim(), `Warning: using legacy gatewayName format "gw.${NS}"; prefer the <namespace>/<name> format: "${NS}/gw"`);
  const err = await refused(vs('1.5ms'));
  assert.ok(err.endsWith(`${DENIED}only durations to ms precision are supported`), err);
  assert.equal(await jsonpath(c, ['get', 'vs', '-n', NS, 'edited'], '{.spec.http[0].timeout}'), '10s');
});

const codes = (kind: string, name: string) => jsonpath(c, ['get', kind, '-n', NS, name], '{.status.validationMessages[*].type.code}');

test('broken references: status.validationMessages and Warning events with the analyzer codes, gone once repaired', async () => {
  await c.ok(['apply', '-n', NS, '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["shop.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front}
spec:
  hosts: [www.example.com]
  gateways: [shop]
  http:
  - match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: reviews, subset: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-a}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-b}
spec:
  hosts: [reviews.${NS}.svc.cluster.local]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
`);
  await waitFor('validation messages on front', async () => (await codes('vs', 'front')) === 'IST0101 IST0101 IST0132', 60_000);
  await waitFor('validation messages on mesh-a and mesh-b', async () => (await codes('vs', 'mesh-a')) === 'IST0109' && (await codes('vs', 'mesh-b')) === 'IST0109', 60_000);
  await waitFor('validation messages on the DestinationRule', async () => (await codes('dr', 'reviews')) === 'IST0173', 60_000);
  assert.equal(
    await jsonpath(c, ['get', 'vs', '-n', NS, 'front'], '{.status.validationMessages[0].documentationUrl} {.status.validationMessages[0].level} {.status.validationMessages[2].level}'),
    'https://istio.io/v1.26/docs/reference/config/analysis/ist0101/ ERROR WARNING',
  );
  const events = async (name: string) => c.ok(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name},type=Warning`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  let front = '';
  await waitFor('Warning events on front', async () => (front = await events('front')).split('\n').filter(Boolean).length === 3, 30_000);
  assert.deepEqual(front.trim().split('\n').sort(), [
    'ReferencedResourceNotFound: Error [IST0101] Referenced host not found: "ratings"',
    'ReferencedResourceNotFound: Error [IST0101] Referenced host+subset in destinationrule not found: "reviews+v2"',
    `VirtualServiceHostNotFoundInGateway: Warning [IST0132] one or more host [www.example.com] defined in VirtualService ${NS}/front not found in Gateway ${NS}/shop.`,
  ]);
  await waitFor('the IST0173 event', async () => (await events('reviews')).includes('DestinationRuleSubsetNotSelectPods: Error [IST0173] The Subset v1 defined in the DestinationRule does not select any pods.'), 30_000);

  // Repairs: the subset, the host, the gateway's hosts, one mesh VirtualService less, a pod for v1.
  await c.ok(['apply', '-n', NS, '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: ratings}
spec:
  selector: {app: ratings}
  ports: [{port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, labels: {app: reviews, version: v1}}
spec:
  containers: [{name: app, image: busybox, command: [sleep, "3600"]}]
`);
  await c.ok(['delete', 'vs', '-n', NS, 'mesh-b']);
  await waitFor('no validation messages left', async () => (await codes('vs', 'front')) === '' && (await codes('vs', 'mesh-a')) === '' && (await codes('dr', 'reviews')) === '', 60_000);
  assert.equal(await jsonpath(c, ['get', 'vs', '-n', NS, 'front'], '{.status}'), '{}');
  await c.ok(['delete', 'pod', '-n', NS, 'reviews-v1', '--wait=false']);
});
