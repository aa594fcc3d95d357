import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_DNS_IP } from '../../../../src/cluster/constants.js';
import { deployment, missingParts, service, type AddonPart } from '../../../../src/controllers/addons/coredns.js';

const present = (...parts: AddonPart[]): Record<AddonPart, boolean> => ({
  serviceaccount: parts.includes('serviceaccount'),
  configmap: parts.includes('configmap'),
  deployment: parts.includes('deployment'),
  service: parts.includes('service'),
});

test('a first install creates account and Corefile before the Deployment', () => {
  const plan = missingParts({ present: present() });
  assert.deepEqual(plan.map((p) => `${p.part}:${p.object.kind}/${p.object.metadata.namespace}/${p.object.metadata.name}`), [
    'serviceaccount:ServiceAccount/kube-system/coredns',
    'configmap:ConfigMap/kube-system/coredns',
    'service:Service/kube-system/kube-dns',
    'deployment:Deployment/kube-system/coredns',
  ]);
});

test('only what is missing comes back; what exists (and its edits) is left alone', () => {
  assert.deepEqual(missingParts({ present: present('serviceaccount', 'configmap', 'service') }).map((p) => p.part), ['deployment']);
  assert.deepEqual(missingParts({ present: present('serviceaccount', 'configmap', 'service', 'deployment') }), []);
});

test('kube-dns Service as kubeadm: 10.96.0.10, dns/dns-tcp/metrics, selector k8s-app=kube-dns', () => {
  const s = service() as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
  assert.equal(s.spec.clusterIP, CLUSTER_DNS_IP);
  assert.equal(CLUSTER_DNS_IP, '10.96.0.10');
  assert.deepEqual(s.spec.ports, [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
    { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
  ]);
  assert.deepEqual(s.spec.selector, { 'k8s-app': 'kube-dns' });
  assert.equal(s.metadata.labels['kubernetes.io/name'], 'CoreDNS');
});

test('coredns Deployment as kubeadm: upstream args, probes on named ports, tolerations, dnsPolicy Default', () => {
  const d = deployment() as { metadata: { labels: Record<string, string> }; spec: { replicas: number; template: { spec: Record<string, unknown> } } };
  assert.deepEqual(d.metadata.labels, { 'k8s-app': 'kube-dns' });
  assert.equal(d.spec.replicas, 1);
  const pod = d.spec.template.spec as {
    priorityClassName?: string;
    dnsPolicy: string;
    tolerations: unknown[];
    containers: { image: string; args: string[]; livenessProbe: { httpGet: unknown }; readinessProbe: { httpGet: unknown } }[];
  };
  // The API serves no PriorityClass, so naming one would name something that does not exist.
  assert.equal(pod.priorityClassName, undefined);
  assert.equal(pod.dnsPolicy, 'Default');
  assert.deepEqual(pod.tolerations, [
    { key: 'CriticalAddonsOnly', operator: 'Exists' },
    { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
  ]);
  const [c] = pod.containers;
  assert.match(c.image, /^registry\.k8s\.io\/coredns\/coredns:v\d+\.\d+\.\d+$/);
  // Upstream's args, then what skiff's DNS takes from the manifest instead of from the host.
  assert.deepEqual(c.args, ['-conf', '/etc/coredns/Corefile', '-skiff-hosts=/etc/skiff/hosts']);
  assert.deepEqual((deployment({ egress: 'none' }).spec as typeof d.spec).template.spec.volumes, [
    { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
    { name: 'host-hosts', hostPath: { path: '/etc/hosts', type: 'File' } },
  ]);
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/health', port: 'liveness-probe', scheme: 'HTTP' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/ready', port: 'readiness-probe', scheme: 'HTTP' });
});
