import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { imageTag } from '../../../../src/api/defaults/image.js';

function defaulted(group: string, obj: KObject): KObject {
  const fn = defaulters[kindKey(group, obj.kind!)];
  fn(obj);
  const again = structuredClone(obj);
  fn(again);
  assert.deepEqual(again, obj, `defaulting ${obj.kind} twice changed it`);
  return obj;
}

test('image tags decide the pull policy', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('registry.k8s.io/echoserver:1.4'), '1.4');
  assert.equal(imageTag('localhost:5000/app'), 'latest');
  assert.equal(imageTag('nginx@sha256:abc'), '');
  const pod = defaulted('', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [
    { name: 'a', image: 'kiamol/ch03-sleep' }, { name: 'b', image: 'nginx:1.27' }, { name: 'c', image: 'nginx:latest' }, { name: 'd', image: 'nginx@sha256:abc' },
  ] } });
  assert.deepEqual((pod.spec as any).containers.map((c: any) => c.imagePullPolicy), ['Always', 'IfNotPresent', 'Always', 'IfNotPresent']);
});

test('Pod defaults', () => {
  const pod = defaulted('', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {
    containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m' } },
      readinessProbe: { httpGet: { port: 80 } } }],
    volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 'x' } }],
  } });
  assert.deepEqual(pod.spec, {
    containers: [{
      name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { limits: { cpu: '500m' }, requests: { cpu: '500m' } },
      readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    }],
    volumes: [{ name: 'v', emptyDir: {} }, { name: 's', secret: { secretName: 'x', defaultMode: 420 } }],
    dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler',
    enableServiceLinks: true,
  });
});

test('Deployment defaults, and a rollout-undo template defaults to the same JSON', () => {
  const d = defaulted('apps', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  } });
  const spec = d.spec as any;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(spec.template.metadata.creationTimestamp, null);
  assert.deepEqual(spec.template.spec.containers[0].resources, {});
  assert.equal(spec.template.spec.enableServiceLinks, undefined);

  const undo: KObject = structuredClone(d);
  (undo.spec as any).template = JSON.parse(JSON.stringify({
    metadata: { creationTimestamp: null, labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: {} }] },
  }));
  assert.deepEqual(defaulted('apps', undo), d);

  const recreate = defaulted('apps', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'r' }, spec: { strategy: { type: 'Recreate' } } });
  assert.deepEqual((recreate.spec as any).strategy, { type: 'Recreate' });
});

test('Service defaults', () => {
  const svc = defaulted('', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
  assert.deepEqual(svc.spec, {
    selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], sessionAffinity: 'None', type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  });
  const lb = defaulted('', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, targetPort: 'http' }] } });
  const s = lb.spec as any;
  assert.equal(s.externalTrafficPolicy, 'Cluster');
  assert.equal(s.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(s.clusterIPs, ['10.96.0.9']);
  assert.equal(s.ports[0].targetPort, 'http');
  const ext = defaulted('', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.deepEqual(ext.spec, { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
  const headless = defaulted('', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None' } });
  assert.equal((headless.spec as any).ipFamilyPolicy, 'RequireDualStack');
});

test('HorizontalPodAutoscaler defaults: CPU 80%, behavior only filled when given', () => {
  const hpa = defaulted('autoscaling', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 5 } });
  assert.deepEqual(hpa.spec, {
    maxReplicas: 5, minReplicas: 1,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
  });
  const withBehavior = defaulted('autoscaling', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
  assert.deepEqual((withBehavior.spec as any).behavior, {
    scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], stabilizationWindowSeconds: 0 },
  });
  // The scale-down window stays unset: the controller takes it from its downscale-stabilization flag.
  const upOnly = defaulted('autoscaling', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { maxReplicas: 5, behavior: { scaleUp: { stabilizationWindowSeconds: 30 } } } });
  assert.deepEqual((upOnly.spec as any).behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
});

test('Secret, Namespace, NetworkPolicy, EndpointSlice defaults', () => {
  const secret = defaulted('', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'hi' }, data: { a: 'eA==', b: 'eQ==' } });
  assert.deepEqual(secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { a: 'aGk=', b: 'eQ==' } });
  const ns = defaulted('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  assert.deepEqual(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } },
    spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  const np = defaulted('networking.k8s.io', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' },
    spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } });
  assert.deepEqual((np.spec as any).policyTypes, ['Ingress', 'Egress']);
  assert.equal((np.spec as any).egress[0].ports[0].protocol, 'TCP');
  const slice = defaulted('discovery.k8s.io', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', ports: [{ port: 80 }] });
  assert.deepEqual(slice.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
});
