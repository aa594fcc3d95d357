import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { COREDNS_ADDON, INGRESS_NGINX_ADDON } from '../../../../src/controllers/addons/controller.js';
import {
  CONTROLLER_SELECTOR,
  deployment,
  ingressClass,
  missingIngressNginxParts,
  service,
  type IngressNginxPart,
} from '../../../../src/controllers/addons/ingress-nginx.js';

const PARTS: IngressNginxPart[] = ['namespace', 'serviceaccount', 'configmap', 'service', 'deployment', 'ingressclass'];
const present = (...parts: IngressNginxPart[]) => Object.fromEntries(PARTS.map((p) => [p, parts.includes(p)])) as Record<IngressNginxPart, boolean>;
const describe = (o: KObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

test('a first install creates the namespace first; account, ConfigMap, class and Service before the Deployment', () => {
  const plan = missingIngressNginxParts({ present: present() });
  assert.deepEqual(plan.map((p) => `${p.part}:${describe(p.object)}`), [
    'namespace:Namespace//ingress-nginx',
    'serviceaccount:ServiceAccount/ingress-nginx/ingress-nginx',
    'configmap:ConfigMap/ingress-nginx/ingress-nginx-controller',
    'ingressclass:IngressClass//nginx',
    'service:Service/ingress-nginx/ingress-nginx-controller',
    'deployment:Deployment/ingress-nginx/ingress-nginx-controller',
  ]);
});

test('only what is missing comes back; what exists (and its edits) is left alone', () => {
  assert.deepEqual(missingIngressNginxParts({ present: present(...PARTS.filter((p) => p !== 'ingressclass' && p !== 'serviceaccount')) }).map((p) => p.part), ['serviceaccount', 'ingressclass']);
  assert.deepEqual(missingIngressNginxParts({ present: present(...PARTS) }), []);
});

test('the installer knows where every part it plans lives', () => {
  for (const spec of [INGRESS_NGINX_ADDON, COREDNS_ADDON]) {
    const all = Object.fromEntries(Object.keys(spec.parts).map((p) => [p, false]));
    for (const { part, object } of spec.plan({ present: all as never })) {
      const at = spec.parts[part as keyof typeof spec.parts];
      assert.equal(object.metadata.name, at.name, `${spec.controller} ${part}`);
      assert.equal(object.metadata.namespace, at.namespace, `${spec.controller} ${part}`);
      assert.equal(object.kind, at.res.kind, `${spec.controller} ${part}`);
      assert.equal(object.apiVersion, at.res.group ? `${at.res.group}/${at.res.version}` : at.res.version);
    }
  }
});

test('IngressClass nginx: controller k8s.io/ingress-nginx, marked as the default class', () => {
  const c = ingressClass() as { metadata: { name: string; namespace?: string; annotations: Record<string, string> }; spec: unknown };
  assert.equal(c.metadata.name, 'nginx');
  assert.equal(c.metadata.namespace, undefined);
  assert.deepEqual(c.spec, { controller: 'k8s.io/ingress-nginx' });
  assert.equal(c.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
});

test('controller Service: LoadBalancer, http 80 and https 443 to the named container ports, selecting the controller', () => {
  const s = service() as unknown as { spec: { type: string; ports: { name: string; port: number; targetPort: string }[]; selector: Record<string, string> } };
  assert.equal(s.spec.type, 'LoadBalancer');
  assert.deepEqual(s.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['http', 80, 'http'], ['https', 443, 'https']]);
  assert.deepEqual(s.spec.selector, CONTROLLER_SELECTOR);
});

test('controller Deployment: upstream args, downward-API env, /healthz:10254 readiness, ports 80 and 443', () => {
  type C = {
    image: string;
    args: string[];
    env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[];
    readinessProbe: { httpGet: unknown };
    ports: { name: string; containerPort: number }[];
  };
  const d = deployment() as {
    metadata: { labels: Record<string, string> };
    spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: C[] } } };
  };
  assert.equal(d.spec.replicas, 1);
  assert.equal(d.metadata.labels['app.kubernetes.io/name'], 'ingress-nginx');
  assert.equal(d.metadata.labels['app.kubernetes.io/component'], 'controller');
  assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels);
  assert.equal(d.spec.template.spec.serviceAccountName, 'ingress-nginx');
  const [c] = d.spec.template.spec.containers;
  assert.match(c.image, /^registry\.k8s\.io\/ingress-nginx\/controller:v\d+\.\d+\.\d+$/);
  assert.deepEqual(c.args.slice(0, 6), [
    '/nginx-ingress-controller',
    '--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller',
    '--election-id=ingress-nginx-leader',
    '--controller-class=k8s.io/ingress-nginx',
    '--ingress-class=nginx',
    '--configmap=$(POD_NAMESPACE)/ingress-nginx-controller',
  ]);
  assert.deepEqual(c.env.map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]), [['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace']]);
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/healthz', port: 10254, scheme: 'HTTP' });
  assert.deepEqual(c.ports.map((p) => [p.name, p.containerPort]), [['http', 80], ['https', 443]]);
});
