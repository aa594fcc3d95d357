import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ISTIOD_CERT_SECRET, missingIstioParts, type IstioPart } from '../../../../src/controllers/addons/istio.js';

const none = (): Record<IstioPart, boolean> =>
  ({ namespace: false, istiodServiceAccount: false, istiodCertificate: false, istiodService: false, istiod: false, gatewayServiceAccount: false, gatewayService: false, gateway: false, ztunnelServiceAccount: false, ztunnel: false });
const pair = { cert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n' };

interface PodSpecLike {
  containers: { ports?: { containerPort: number }[]; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}

test("istiod's serving pair goes into Secret istiod-tls, made before istiod, which mounts it", () => {
  const parts = missingIstioParts({ present: none() }, pair);
  const order = parts.map((p) => p.part);
  assert.ok(order.indexOf('istiodCertificate') < order.indexOf('istiod'));
  const secret = parts.find((p) => p.part === 'istiodCertificate')!.object as unknown as { metadata: { name: string; namespace: string }; type: string; data: Record<string, string> };
  assert.equal(secret.metadata.name, ISTIOD_CERT_SECRET);
  assert.equal(secret.metadata.namespace, 'istio-system');
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.equal(Buffer.from(secret.data['tls.crt']!, 'base64').toString(), pair.cert);
  assert.equal(Buffer.from(secret.data['tls.key']!, 'base64').toString(), pair.key);
  const istiod = parts.find((p) => p.part === 'istiod')!.object as unknown as { spec: { template: { spec: PodSpecLike } } };
  const pod = istiod.spec.template.spec;
  const volume = pod.volumes?.find((v) => v.secret?.secretName === ISTIOD_CERT_SECRET);
  assert.ok(volume);
  assert.deepEqual(pod.containers[0]!.volumeMounts?.find((m) => m.name === volume.name)?.mountPath, '/var/run/secrets/istiod/tls');
});

test("istiod's Service and container offer the secure xDS port only, not plaintext 15010", () => {
  const parts = missingIstioParts({ present: none() }, pair);
  const svc = parts.find((p) => p.part === 'istiodService')!.object as unknown as { spec: { ports: { name: string; port: number }[] } };
  assert.deepEqual(svc.spec.ports.map((p) => `${p.name}:${p.port}`), ['https-dns:15012', 'http-monitoring:15014']);
  const istiod = parts.find((p) => p.part === 'istiod')!.object as unknown as { spec: { template: { spec: PodSpecLike } } };
  const ports = istiod.spec.template.spec.containers[0]!.ports!.map((p) => p.containerPort);
  assert.ok(ports.includes(15012) && !ports.includes(15010), String(ports));
});

test('without a serving pair no Secret is made; an existing one (and its edits) stays', () => {
  assert.ok(!missingIstioParts({ present: none() }).some((p) => p.part === 'istiodCertificate'));
  assert.ok(!missingIstioParts({ present: { ...none(), istiodCertificate: true } }, pair).some((p) => p.part === 'istiodCertificate'));
});
