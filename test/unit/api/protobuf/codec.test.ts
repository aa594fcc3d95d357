// Round trips and the Go JSON rules the decoder reproduces, on objects richer than kubectl's
// generators produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobuf, encodeProtobuf, isProtobufContentType, protobufKinds } from '../../../../src/api/protobuf/index.js';
import { undefinedMessageReferences } from '../../../../src/api/protobuf/schema.js';
import { formatMicroTime, formatTime } from '../../../../src/api/protobuf/values.js';

const roundTrip = (obj: object): unknown => decodeProtobuf(encodeProtobuf(obj));

test('every message a field refers to is defined', () => {
  assert.deepStrictEqual(undefinedMessageReferences(), []);
});

test('the catalog names the kinds kubectl sends as protobuf', () => {
  const kinds = protobufKinds().map((k) => `${k.apiVersion}/${k.kind}`);
  for (const k of ['apps/v1/Deployment', 'v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/ServiceAccount',
    'v1/ResourceQuota', 'batch/v1/Job', 'networking.k8s.io/v1/Ingress', 'autoscaling/v1/HorizontalPodAutoscaler',
    'autoscaling/v2/HorizontalPodAutoscaler', 'authorization.k8s.io/v1/SelfSubjectAccessReview']) {
    assert.ok(kinds.includes(k), k);
  }
});

test('isProtobufContentType ignores parameters and case', () => {
  assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobufContentType('Application/VND.kubernetes.protobuf; charset=utf-8'), true);
  assert.equal(isProtobufContentType('application/json'), false);
  assert.equal(isProtobufContentType(undefined), false);
});

// A Deployment written the way Go prints it (nulls left out), exercising most of PodSpec.
const richDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'rich', namespace: 'prod', uid: '6f1c3a52-1111-4a4a-9999-0123456789ab', resourceVersion: '42', generation: 3,
    creationTimestamp: '2025-03-04T05:06:07Z', deletionTimestamp: '2025-03-05T00:00:00Z', deletionGracePeriodSeconds: 0,
    labels: { app: 'rich', tier: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '3' },
    ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Owner', name: 'o', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
    finalizers: ['example.com/keep'],
    managedFields: [{
      manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2025-03-04T05:06:07Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    }],
  },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'rich' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'x', operator: 'Exists' }] },
    template: {
      metadata: { labels: { app: 'rich', tier: 'web' } },
      spec: {
        volumes: [
          { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 420 }], defaultMode: 292, optional: true } },
          { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
          { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
          { name: 'claim', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
          { name: 'proj', projected: { sources: [
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
            { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
          ] } },
        ],
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {}, restartPolicy: 'Always' }],
        containers: [{
          name: 'app', image: 'nginx:1.27', args: ['--port', '8080'], workingDir: '/srv',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { hostPort: 9000, containerPort: 9000, protocol: 'UDP', hostIP: '127.0.0.1' }],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }, { secretRef: { name: 's', optional: false } }],
          env: [
            { name: 'PLAIN', value: 'x' },
            { name: 'EMPTY' },
            { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'CPU', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } } },
            { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } } },
            { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
            { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', readOnly: true, mountPath: '/etc/cfg', subPath: 'a.txt' }],
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
          startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
          lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['true'] } } },
          terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
          securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: false, runAsUser: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
          stdin: true, tty: true,
        }],
        restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', nodeSelector: { 'kubernetes.io/os': 'linux' },
        serviceAccountName: 'runner', serviceAccount: 'runner', automountServiceAccountToken: false, hostNetwork: true,
        securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
        imagePullSecrets: [{ name: 'regcred' }], hostname: 'h', subdomain: 'sub',
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] } }] },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'rich' } }, topologyKey: 'kubernetes.io/hostname' } }] },
        },
        schedulerName: 'default-scheduler',
        tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 }, { operator: 'Exists' }],
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local'] }],
        priorityClassName: 'high', priority: 1000,
        dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
        readinessGates: [{ conditionType: 'example.com/ready' }], runtimeClassName: 'runc', enableServiceLinks: false,
        preemptionPolicy: 'Never', overhead: { cpu: '10m' },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'rich' } }, minDomains: 2 }],
        setHostnameAsFQDN: true, os: { name: 'linux' }, hostUsers: false, schedulingGates: [{ name: 'wait' }],
      },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
    minReadySeconds: 5, revisionHistoryLimit: 10, paused: true, progressDeadlineSeconds: 600,
  },
  status: {
    observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
    conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2025-03-04T05:06:07Z', lastTransitionTime: '2025-03-04T05:06:07Z', reason: 'MinimumReplicasAvailable', message: 'ok' }],
    collisionCount: 0,
  },
};

test('a Deployment using most of PodSpec survives encode and decode unchanged', () => {
  assert.deepStrictEqual(roundTrip(richDeployment), richDeployment);
});

test('a HorizontalPodAutoscaler v2 with behavior and every metric source round-trips', () => {
  const hpa = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'default' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps', selector: { matchLabels: { a: 'b' } } }, target: { type: 'AverageValue', averageValue: '1k' } } },
        { type: 'Object', object: { describedObject: { kind: 'Ingress', name: 'main', apiVersion: 'networking.k8s.io/v1' }, target: { type: 'Value', value: '10k' }, metric: { name: 'rps' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 }, container: 'app' } },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], tolerance: '50m' },
      },
    },
    status: {
      lastScaleTime: '2025-01-01T00:00:00Z', currentReplicas: 2, desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '400Mi', averageUtilization: 80 } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'ReadyForNewScale', message: 'ok' }],
    },
  };
  assert.deepStrictEqual(roundTrip(hpa), hpa);
});

test('a Job with a pod failure policy round-trips', () => {
  const job = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' },
    spec: {
      parallelism: 2, completions: 4, activeDeadlineSeconds: 600, backoffLimit: 0, completionMode: 'Indexed', suspend: false,
      podFailurePolicy: { rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1, 2, 42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ] },
      template: { metadata: {}, spec: { containers: [{ name: 'main', image: 'busybox', resources: {} }], restartPolicy: 'Never' } },
      ttlSecondsAfterFinished: 100,
    },
    status: { startTime: '2025-01-01T00:00:00Z', active: 1, failed: 2, ready: 0, uncountedTerminatedPods: { succeeded: ['a'] } },
  };
  assert.deepStrictEqual(roundTrip(job), job);
});

test('Go JSON rules: pointers keep zero, omitempty drops zero, value fields and structs always appear', () => {
  const decoded = roundTrip({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: {
      replicas: 0, minReadySeconds: 0, paused: false,
      template: { spec: { containers: [{ name: 'c', ports: [{ name: 'p' }], env: [{ name: 'E', value: '' }] }] } },
    },
  });
  assert.deepStrictEqual(decoded, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: {
      replicas: 0, // *int32: present on the wire, so printed even though zero
      template: { metadata: {}, spec: { containers: [{ name: 'c', ports: [{ name: 'p', containerPort: 0 }], env: [{ name: 'E' }], resources: {} }] } },
      strategy: {},
    },
    status: {},
  });
});

test('zero Time is left out; IntOrString and Quantity keep their JSON forms', () => {
  const svc = roundTrip({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', creationTimestamp: null },
    spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81 }] },
  }) as { metadata: object; spec: { ports: unknown[] } };
  assert.deepStrictEqual(svc.metadata, { name: 's' });
  assert.deepStrictEqual(svc.spec.ports, [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 0 }]);
  const quota = roundTrip({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: '1500m', 'requests.storage': '10Gi' } } });
  assert.deepStrictEqual((quota as { spec: unknown }).spec, { hard: { cpu: '1500m', 'requests.storage': '10Gi' } });
});

test('Time and MicroTime format like metav1', () => {
  assert.equal(formatTime(1735689600), '2025-01-01T00:00:00Z');
  assert.equal(formatMicroTime(1735689600, 123456789), '2025-01-01T00:00:00.123456Z');
  assert.equal(formatMicroTime(0, 0), '1970-01-01T00:00:00.000000Z');
});

test('Secret stringData stays text while data becomes bytes on the wire', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, immutable: true, data: { bin: Buffer.from([0, 255]).toString('base64') }, stringData: { text: 'hello' }, type: 'Opaque' };
  assert.deepStrictEqual(roundTrip(secret), secret);
});

test('encodeProtobuf rejects kinds it does not know and values of the wrong type', () => {
  assert.throws(() => encodeProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget' }), { name: 'ProtobufError' });
  assert.throws(() => encodeProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } }), { name: 'ProtobufError', message: /ConfigMap\.data\[a\]: expected a string/ });
  assert.throws(() => encodeProtobuf({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1.5 } }), { name: 'ProtobufError', message: /spec\.replicas/ });
});
