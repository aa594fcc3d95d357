import type { KObject } from '../../api/types.js';
import { ADDON_NAMESPACE } from './coredns.js';

// metrics-server as upstream's components.yaml installs it (release v0.7.2), with
// --kubelet-insecure-tls added as kind and minikube users add it: the kubelets serve
// self-signed certificates. Left out for reasons of this cluster: the RBAC objects (the API
// serves no RBAC kinds) and priorityClassName (no PriorityClass kind).

export const METRICS_SERVER_NAME = 'metrics-server';
export const METRICS_SERVER_IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.7.2';
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';

const labels = { 'k8s-app': METRICS_SERVER_NAME };
const meta = (extra: Record<string, unknown> = {}) => ({ name: METRICS_SERVER_NAME, namespace: ADDON_NAMESPACE, labels, ...extra });

export function metricsServerAccount(): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta() };
}

export function metricsServerService(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(),
    spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }], selector: labels },
  };
}

export function metricsServerDeployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(),
    spec: {
      selector: { matchLabels: labels },
      strategy: { rollingUpdate: { maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              args: [
                '--cert-dir=/tmp',
                '--secure-port=10250',
                '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
                '--kubelet-use-node-status-port',
                '--metric-resolution=15s',
                '--kubelet-insecure-tls',
              ],
              image: METRICS_SERVER_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              livenessProbe: { failureThreshold: 3, httpGet: { path: '/livez', port: 'https', scheme: 'HTTPS' }, periodSeconds: 10 },
              name: METRICS_SERVER_NAME,
              ports: [{ containerPort: 10250, name: 'https', protocol: 'TCP' }],
              readinessProbe: { failureThreshold: 3, httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' }, initialDelaySeconds: 20, periodSeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '200Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                runAsUser: 1000,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ mountPath: '/tmp', name: 'tmp-dir' }],
            },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: METRICS_SERVER_NAME,
          volumes: [{ emptyDir: {}, name: 'tmp-dir' }],
        },
      },
    },
  };
}

export function metricsAPIService(): KObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: METRICS_APISERVICE, labels },
    spec: {
      group: 'metrics.k8s.io',
      groupPriorityMinimum: 100,
      insecureSkipTLSVerify: true,
      service: { name: METRICS_SERVER_NAME, namespace: ADDON_NAMESPACE },
      version: 'v1beta1',
      versionPriority: 100,
    },
  };
}

export type MetricsServerPart = 'serviceaccount' | 'service' | 'deployment' | 'apiservice';

/** Every missing part; existing parts (and users' edits) stay. */
export function missingMetricsServerParts(o: { present: Record<MetricsServerPart, boolean> }): { part: MetricsServerPart; object: KObject }[] {
  const all: { part: MetricsServerPart; make: () => KObject }[] = [
    { part: 'serviceaccount', make: metricsServerAccount },
    { part: 'service', make: metricsServerService },
    { part: 'deployment', make: metricsServerDeployment },
    { part: 'apiservice', make: metricsAPIService },
  ];
  return all.filter((p) => !o.present[p.part]).map((p) => ({ part: p.part, object: p.make() }));
}
