import type { KObject } from '../../api/types.js';
import { ADDON_NAMESPACE } from './coredns.js';

// metrics-server as upstream's components.yaml installs it (release v0.7.2), with
// --kubelet-insecure-tls added as kind and minikube users add it. Its serving certificate is
// the one `skiff up` signed with the cluster CA, in a Secret it reads through --tls-cert-file and
// --tls-private-key-file (flags upstream has for certificates made elsewhere, e.g. by
// cert-manager), so that the program does not carry an X.509 library to make its own. Left out
// for reasons of this cluster: the RBAC objects (the API serves no RBAC kinds) and
// priorityClassName (no PriorityClass kind).

export const METRICS_SERVER_NAME = 'metrics-server';
export const METRICS_SERVER_IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.7.2';
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';
export const METRICS_SERVER_CERT_SECRET = 'metrics-server-serving-cert';
const CERT_DIR = '/etc/metrics-server/pki';

/** The serving certificate and key (PEM) the add-on's Secret holds. */
export interface ServingPair {
  cert: string;
  key: string;
}

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

export function metricsServerCertSecret(pair: ServingPair): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: METRICS_SERVER_CERT_SECRET, namespace: ADDON_NAMESPACE, labels },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') },
  };
}

export function metricsServerDeployment(serving = true): KObject {
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
                ...(serving ? [`--tls-cert-file=${CERT_DIR}/tls.crt`, `--tls-private-key-file=${CERT_DIR}/tls.key`] : []),
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
              volumeMounts: [{ mountPath: '/tmp', name: 'tmp-dir' }, ...(serving ? [{ mountPath: CERT_DIR, name: 'serving-cert', readOnly: true }] : [])],
            },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: METRICS_SERVER_NAME,
          volumes: [{ emptyDir: {}, name: 'tmp-dir' }, ...(serving ? [{ name: 'serving-cert', secret: { secretName: METRICS_SERVER_CERT_SECRET } }] : [])],
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

export type MetricsServerPart = 'serviceaccount' | 'certificate' | 'service' | 'deployment' | 'apiservice';

/**
 * Every missing part; existing parts (and users' edits) stay. Without a serving pair (a control
 * plane started without the file) metrics-server makes its own certificate, as upstream does.
 */
export function missingMetricsServerParts(o: { present: Record<MetricsServerPart, boolean> }, serving?: ServingPair): { part: MetricsServerPart; object: KObject }[] {
  const all: { part: MetricsServerPart; make: () => KObject }[] = [
    { part: 'serviceaccount', make: metricsServerAccount },
    ...(serving ? [{ part: 'certificate' as const, make: () => metricsServerCertSecret(serving) }] : []),
    { part: 'service', make: metricsServerService },
    { part: 'deployment', make: () => metricsServerDeployment(serving !== undefined) },
    { part: 'apiservice', make: metricsAPIService },
  ];
  return all.filter((p) => !o.present[p.part]).map((p) => ({ part: p.part, object: p.make() }));
}
