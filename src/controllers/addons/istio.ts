import type { KObject } from '../../api/types.js';
import { ISTIO_STATUS_PORT, ISTIOD_TLS_DIR, ISTIOD_XDS_PORT } from '../../cluster/constants.js';
import type { ServingPair } from './metrics-server.js';

// Istio's default profile as `istioctl install` lays it out, the parts that carry traffic:
// namespace istio-system; istiod (Deployment, Service, ServiceAccount), which watches the Istio
// objects and programs the proxies; and the istio-ingressgateway (Deployment, LoadBalancer
// Service, ServiceAccount) with upstream's labels and ports (status 15021, http2 80 → 8080,
// https 443 → 8443); with, from the ambient profile, the ztunnel DaemonSet and its
// ServiceAccount. Differences, each for a reason of this machine:
// - no CRDs, webhooks, RBAC, PodDisruptionBudgets or HorizontalPodAutoscalers: the API serves
//   the Istio kinds itself and has no webhook, RBAC or PDB kinds to configure;
// - istiod's Service exposes the secure discovery port 15012 (and 15014 monitoring), not the
//   plaintext 15010 nor the webhook's 443. istiod serves 15012 with a certificate `skiff up`
//   signed with the cluster CA, in Secret istiod-tls (the name istio-csr gives it), instead of
//   one from its own CA: proxies verify it against the cluster CA they already have (ca.crt of
//   their ServiceAccount volume), and the program carries no X.509 library;
// - the gateway's Service keeps externalTrafficPolicy Cluster, as the ingress-nginx add-on does,
//   so the host's LoadBalancer address reaches it whatever node it runs on.

export const ISTIO_NAMESPACE = 'istio-system';
export const ISTIOD_NAME = 'istiod';
export const GATEWAY_NAME = 'istio-ingressgateway';
export const GATEWAY_SERVICE_ACCOUNT = 'istio-ingressgateway-service-account';
export const ISTIOD_SERVICE_ACCOUNT = 'istiod';
export const ISTIOD_CERT_SECRET = 'istiod-tls';
/** The names proxies may dial istiod by; its serving certificate carries them all. */
export const ISTIOD_DNS_NAMES = ['istiod', 'istiod.istio-system', 'istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local'];
export const ISTIO_VERSION = '1.26.2';
export const PILOT_IMAGE = `docker.io/istio/pilot:${ISTIO_VERSION}`;
export const PROXY_IMAGE = `docker.io/istio/proxyv2:${ISTIO_VERSION}`;
export const GATEWAY_STATUS_PORT = ISTIO_STATUS_PORT;
export const ZTUNNEL_NAME = 'ztunnel';
export const ZTUNNEL_SELECTOR = { app: ZTUNNEL_NAME };

export const GATEWAY_SELECTOR = { app: GATEWAY_NAME, istio: 'ingressgateway' };
const GATEWAY_LABELS = { ...GATEWAY_SELECTOR, 'install.operator.istio.io/owning-resource': 'unknown', 'istio.io/rev': 'default', 'operator.istio.io/component': 'IngressGateways' };
export const ISTIOD_SELECTOR = { app: 'istiod', istio: 'pilot' };
const ISTIOD_LABELS = { ...ISTIOD_SELECTOR, 'install.operator.istio.io/owning-resource': 'unknown', 'istio.io/rev': 'default', 'operator.istio.io/component': 'Pilot' };

const podEnv = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
];

export function namespace(): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ISTIO_NAMESPACE } };
}

function serviceAccount(name: string, labels: Record<string, string>): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ISTIO_NAMESPACE, labels } };
}

export function istiodDeployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: ISTIOD_NAME, namespace: ISTIO_NAMESPACE, labels: ISTIOD_LABELS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { istio: 'pilot' } },
      strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { ...ISTIOD_LABELS, 'sidecar.istio.io/inject': 'false' } },
        spec: {
          serviceAccountName: ISTIOD_SERVICE_ACCOUNT,
          containers: [
            {
              name: 'discovery',
              image: PILOT_IMAGE,
              args: ['discovery', '--monitoringAddr=:15014', '--log_output_level=default:info', '--domain', 'cluster.local', '--keepaliveMaxServerConnectionAge', '30m'],
              env: [...podEnv, { name: 'REVISION', value: 'default' }, { name: 'PILOT_TRACE_SAMPLING', value: '1' }],
              ports: [
                { containerPort: 8080, protocol: 'TCP' },
                { containerPort: ISTIOD_XDS_PORT, protocol: 'TCP' },
                { containerPort: 15017, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 },
              resources: { requests: { cpu: '500m', memory: '2048Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
              volumeMounts: [{ name: 'istio-csr-dns-cert', mountPath: ISTIOD_TLS_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'istio-csr-dns-cert', secret: { secretName: ISTIOD_CERT_SECRET } }],
        },
      },
    },
  };
}

export function istiodService(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: ISTIOD_NAME, namespace: ISTIO_NAMESPACE, labels: ISTIOD_LABELS },
    spec: {
      selector: ISTIOD_SELECTOR,
      ports: [
        { name: 'https-dns', port: ISTIOD_XDS_PORT, protocol: 'TCP' },
        { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
      ],
    },
  };
}

export function gatewayDeployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_NAME, namespace: ISTIO_NAMESPACE, labels: GATEWAY_LABELS },
    spec: {
      replicas: 1,
      selector: { matchLabels: GATEWAY_SELECTOR },
      strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { ...GATEWAY_LABELS, 'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': GATEWAY_NAME } },
        spec: {
          serviceAccountName: GATEWAY_SERVICE_ACCOUNT,
          securityContext: { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, fsGroup: 1337 },
          containers: [
            {
              name: 'istio-proxy',
              image: PROXY_IMAGE,
              args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
              env: [...podEnv, { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' }, { name: 'PROXY_CONFIG', value: `{"discoveryAddress":"istiod.${ISTIO_NAMESPACE}.svc:${ISTIOD_XDS_PORT}"}` }],
              ports: [
                { containerPort: GATEWAY_STATUS_PORT, name: 'status-port', protocol: 'TCP' },
                { containerPort: 8080, name: 'http2', protocol: 'TCP' },
                { containerPort: 8443, name: 'https', protocol: 'TCP' },
              ],
              readinessProbe: { failureThreshold: 30, httpGet: { path: '/healthz/ready', port: GATEWAY_STATUS_PORT, scheme: 'HTTP' }, initialDelaySeconds: 1, periodSeconds: 2, successThreshold: 1, timeoutSeconds: 1 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true },
            },
          ],
        },
      },
    },
  };
}

export function gatewayService(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: GATEWAY_NAME, namespace: ISTIO_NAMESPACE, labels: GATEWAY_LABELS },
    spec: {
      type: 'LoadBalancer',
      selector: GATEWAY_SELECTOR,
      ports: [
        { name: 'status-port', port: GATEWAY_STATUS_PORT, protocol: 'TCP', targetPort: GATEWAY_STATUS_PORT },
        { name: 'http2', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
      ],
    },
  };
}

/**
 * The mesh's node proxy: the ztunnel DaemonSet of Istio's ambient profile, one pod per node in
 * istio-system. It runs the proxy program: istiod sends it the mesh's listeners and routes, and
 * the node agent redirects meshed pods' traffic to Services into it (src/node/mesh). As upstream's
 * chart, it rolls by surging: a node's new ztunnel is ready before its old one goes.
 */
export function ztunnelDaemonSet(): KObject {
  const labels = { ...ZTUNNEL_SELECTOR, 'istio.io/rev': 'default', 'operator.istio.io/component': 'Ztunnel' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: ZTUNNEL_NAME, namespace: ISTIO_NAMESPACE, labels },
    spec: {
      updateStrategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: ZTUNNEL_SELECTOR },
      template: {
        metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
        spec: {
          serviceAccountName: ZTUNNEL_NAME,
          terminationGracePeriodSeconds: 30,
          tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }],
          containers: [
            {
              name: 'istio-proxy',
              image: PROXY_IMAGE,
              args: ['proxy', 'ztunnel', '--log_output_level=default:info'],
              env: [...podEnv, { name: 'PROXY_CONFIG', value: `{"discoveryAddress":"istiod.${ISTIO_NAMESPACE}.svc:${ISTIOD_XDS_PORT}"}` }],
              ports: [{ containerPort: GATEWAY_STATUS_PORT, name: 'status-port', protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/healthz/ready', port: GATEWAY_STATUS_PORT }, periodSeconds: 2, failureThreshold: 30 },
              resources: { requests: { cpu: '200m', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, readOnlyRootFilesystem: true },
            },
          ],
        },
      },
    },
  };
}

export function istiodCertSecret(pair: ServingPair): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ISTIOD_CERT_SECRET, namespace: ISTIO_NAMESPACE, labels: ISTIOD_SELECTOR },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') },
  };
}

export type IstioPart = 'namespace' | 'istiodServiceAccount' | 'istiodCertificate' | 'istiodService' | 'istiod' | 'gatewayServiceAccount' | 'gatewayService' | 'gateway' | 'ztunnelServiceAccount' | 'ztunnel';

/** Creation order: the namespace first; each pod after its account and Secret, istiod's Service before the gateway that dials it. */
const ALL: { part: IstioPart; make: (serving?: ServingPair) => KObject | undefined }[] = [
  { part: 'namespace', make: namespace },
  { part: 'istiodServiceAccount', make: () => serviceAccount(ISTIOD_SERVICE_ACCOUNT, ISTIOD_SELECTOR) },
  { part: 'istiodCertificate', make: (serving) => (serving ? istiodCertSecret(serving) : undefined) },
  { part: 'istiodService', make: istiodService },
  { part: 'istiod', make: istiodDeployment },
  { part: 'gatewayServiceAccount', make: () => serviceAccount(GATEWAY_SERVICE_ACCOUNT, GATEWAY_SELECTOR) },
  { part: 'gatewayService', make: gatewayService },
  { part: 'gateway', make: gatewayDeployment },
  { part: 'ztunnelServiceAccount', make: () => serviceAccount(ZTUNNEL_NAME, ZTUNNEL_SELECTOR) },
  { part: 'ztunnel', make: ztunnelDaemonSet },
];

/**
 * Every missing part; parts that exist keep the user's edits. Without a serving pair (a control
 * plane started without the files `skiff up` makes) there is no Secret to create, and istiod
 * waits for one to be mounted.
 */
export function missingIstioParts(o: { present: Record<IstioPart, boolean> }, serving?: ServingPair): { part: IstioPart; object: KObject }[] {
  const out: { part: IstioPart; object: KObject }[] = [];
  for (const p of ALL) {
    const object = o.present[p.part] ? undefined : p.make(serving);
    if (object) out.push({ part: p.part, object });
  }
  return out;
}
