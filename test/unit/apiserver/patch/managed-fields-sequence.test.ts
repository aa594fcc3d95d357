import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useControlPlane } from '../control-plane.js';

// A pod's and a Deployment's life as the cluster writes them (controller create, binding,
// kubelet status PUT and PATCH, edits, server-side apply, scale), through the real API
// server. managedFields after every step must stay exactly what the field manager produced
// before its caches and shortcuts existed (the fixture was recorded from that code).

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../../../../test/unit/apiserver/patch/managed-fields-sequence.json');
const cp = useControlPlane('mfseq');

async function call(method: string, path: string, body: unknown, contentType?: string): Promise<{ code: number; body: Record<string, any> }> {
  const { code, text } = await cp.send(method, path, body, contentType);
  return { code, body: JSON.parse(text) };
}

const POD = '/api/v1/namespaces/default/pods';
const DEP = '/apis/apps/v1/namespaces/default/deployments';

function pod(): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-5d4f8-',
      labels: { app: 'web', 'pod-template-hash': '5d4f8' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8', uid: '0b5c1f7e-1111-4c1e-9a57-3c2f1d0e9a11', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        { name: 'app', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }], env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: '10m' } } },
        { name: 'side', image: 'busybox', args: ['sh'] },
      ],
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

function statusOf(phase: string, ready: boolean, ip?: string): Record<string, any> {
  const t = '2024-01-01T00:00:00Z';
  const cond = (type: string, s: boolean) => ({ type, status: s ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: t });
  return {
    phase,
    conditions: [cond('PodReadyToStartContainers', true), cond('Initialized', true), cond('Ready', ready), cond('ContainersReady', ready), cond('PodScheduled', true)],
    hostIP: '10.0.0.1',
    hostIPs: [{ ip: '10.0.0.1' }],
    ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
    startTime: t,
    containerStatuses: ['app', 'side'].map((name) => ({
      name, image: 'busybox', imageID: '', ready, restartCount: 0, started: ready,
      state: ready ? { running: { startedAt: t } } : { waiting: { reason: 'ContainerCreating' } },
    })),
    qosClass: 'Burstable',
  };
}

/**
 * managedFields with what depends on chance taken out: the time, the order (which sorts by
 * time in seconds before manager name) and the random suffix of the token volume's name.
 */
function managed(obj: Record<string, any>): unknown {
  const key = (e: Record<string, unknown>) => `${e.operation} ${e.manager} ${e.apiVersion} ${e.subresource ?? ''}`;
  const entries = JSON.parse(JSON.stringify(obj.metadata.managedFields ?? []).replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-x')) as Record<string, unknown>[];
  return entries
    .map((e: Record<string, unknown>) => ({ ...e, time: typeof e.time === 'string' ? 'T' : e.time }))
    .sort((a: Record<string, unknown>, b: Record<string, unknown>) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

test('managedFields after each write of a pod and a Deployment are what upstream-faithful bookkeeping recorded', async () => {
  const seen: unknown[] = [];
  const step = async (what: string, r: Promise<{ code: number; body: Record<string, any> }>): Promise<Record<string, any>> => {
    const { code, body } = await r;
    assert.ok(code < 300, `${what}: ${code} ${JSON.stringify(body)}`);
    seen.push([what, managed(body)]);
    return body;
  };
  const created = await step('create by the ReplicaSet controller', call('POST', `${POD}?fieldManager=kube-controller-manager`, pod()));
  const name = created.metadata.name as string;
  const at = `${POD}/${name}`;
  await call('POST', `${at}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } });
  await step('bound by the scheduler', call('GET', at, undefined));
  let cur = await step('status PUT by the kubelet', call('PUT', `${at}/status?fieldManager=kubelet`, { ...(await call('GET', at, undefined)).body, status: statusOf('Pending', false) }));
  cur = await step('status PATCH by the kubelet', call('PATCH', `${at}/status?fieldManager=kubelet`, { metadata: { uid: cur.metadata.uid }, status: statusOf('Running', true, '10.244.0.7') }, 'application/strategic-merge-patch+json'));
  cur = await step('status PUT that changes nothing', call('PUT', `${at}/status?fieldManager=kubelet`, cur));
  cur = await step('label edit (PUT)', call('PUT', `${at}?fieldManager=kubectl-edit`, { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, tier: 'front' } } }));
  cur = await step('annotation merge patch', call('PATCH', `${at}?fieldManager=kubectl-annotate`, { metadata: { annotations: { note: 'x' } } }, 'application/merge-patch+json'));
  cur = await step('server-side apply of a label', call('PATCH', `${at}?fieldManager=applier&force=true`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { tier: 'back', team: 'a' } } }, 'application/apply-patch+yaml'));
  cur = await step('label removed by the editor', call('PATCH', `${at}?fieldManager=kubectl-edit`, [{ op: 'remove', path: '/metadata/labels/team' }], 'application/json-patch+json'));
  await step('ownerReference released', call('PATCH', `${at}?fieldManager=kube-controller-manager`, { metadata: { ownerReferences: [{ $patch: 'delete', uid: '0b5c1f7e-1111-4c1e-9a57-3c2f1d0e9a11' }] } }, 'application/strategic-merge-patch+json'));

  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox', ports: [{ containerPort: 80 }] }] } } },
  };
  let d = await step('Deployment applied', call('PATCH', `${DEP}/web?fieldManager=kubectl&force=true`, dep, 'application/apply-patch+yaml'));
  d = await step('Deployment status by the controller', call('PUT', `${DEP}/web/status?fieldManager=kube-controller-manager`, { ...d, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'm', lastUpdateTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }] } }));
  d = await step('Deployment scaled', call('PATCH', `${DEP}/web/scale?fieldManager=kubectl-scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json'));
  d = await step('Deployment re-applied with another image', call('PATCH', `${DEP}/web?fieldManager=kubectl&force=true`, { ...dep, spec: { ...dep.spec, template: { ...dep.spec.template, spec: { containers: [{ name: 'app', image: 'nginx' }] } } } }, 'application/apply-patch+yaml'));
  await step('Deployment status again', call('PUT', `${DEP}/web/status?fieldManager=kube-controller-manager`, { ...(await call('GET', `${DEP}/web`, undefined)).body, status: { observedGeneration: 2, replicas: 5, readyReplicas: 5 } }));
  await step('event created', call('POST', '/api/v1/namespaces/default/events?fieldManager=kubelet', { apiVersion: 'v1', kind: 'Event', metadata: { name: `${name}.1` }, involvedObject: { kind: 'Pod', name, namespace: 'default', uid: cur.metadata.uid }, reason: 'Started', message: 'Started container app', type: 'Normal', source: { component: 'kubelet', host: 'n1' }, count: 1 }));

  assert.deepEqual(seen, JSON.parse(readFileSync(FIXTURE, 'utf8')));
});
