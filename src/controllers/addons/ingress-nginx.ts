import type { KObject } from '../../api/types.js';

// The ingress-nginx add-on as upstream's deploy/static/provider/cloud/deploy.yaml installs it:
// Namespace, ServiceAccount, ConfigMap, the controller Deployment, its LoadBalancer Service and
// the IngressClass `nginx`. Differences, each for a reason of this machine:
// - no RBAC objects and no admission webhook (Service, Jobs, ValidatingWebhookConfiguration,
//   the webhook flags, port and certificate volume): the API serves none of those kinds;
// - the IngressClass is marked default (`ingressclass.kubernetes.io/is-default-class`), as the
//   Helm chart's `controller.ingressClassResource.default=true` does, so manifests without a
//   class are served as they would be on a cluster set up for ingress-nginx;
// - the Service keeps the default externalTrafficPolicy (Cluster) instead of Local: the host's
//   LoadBalancer addresses are forwarded through node 1 whatever node the controller runs on,
//   and Local would drop that traffic whenever the controller pod is on another node;
// - no preStop `/wait-shutdown` and no LD_PRELOAD: the image has neither file; the controller
//   drains connections on SIGTERM by itself within terminationGracePeriodSeconds;
// - the readiness probe has no initialDelaySeconds (upstream: 10): the built-in controller is
//   reported started only once it serves and has synced (src/addons/ready.ts), so the first
//   probe at start already finds it ready and the cluster's ingress answers within a second. The
//   liveness probe keeps upstream's delay.
// The controller logs in as upstream's does: the `ingress-nginx` ServiceAccount's mounted token,
// through the `kubernetes` Service (in-cluster config); nothing of the host reaches its pod.

export const INGRESS_NAMESPACE = 'ingress-nginx';
export const CONTROLLER_NAME = 'ingress-nginx-controller';
export const SERVICE_ACCOUNT_NAME = 'ingress-nginx';
export const INGRESS_CLASS_NAME = 'nginx';
export const CONTROLLER_CLASS = 'k8s.io/ingress-nginx';
export const INGRESS_NGINX_VERSION = '1.12.1';
export const CONTROLLER_IMAGE = `registry.k8s.io/ingress-nginx/controller:v${INGRESS_NGINX_VERSION}`;
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const HEALTH_PORT = 10254;

/** What selects the controller's pods (the Deployment's selector and the Service's). */
export const CONTROLLER_SELECTOR = {
  'app.kubernetes.io/component': 'controller',
  'app.kubernetes.io/instance': 'ingress-nginx',
  'app.kubernetes.io/name': 'ingress-nginx',
};

const LABELS = { ...CONTROLLER_SELECTOR, 'app.kubernetes.io/part-of': 'ingress-nginx', 'app.kubernetes.io/version': INGRESS_NGINX_VERSION };

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: INGRESS_NAMESPACE, labels: LABELS, ...extra });

export function namespace(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: INGRESS_NAMESPACE, labels: { 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' } },
  };
}

export function serviceAccount(): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', automountServiceAccountToken: true, metadata: meta(SERVICE_ACCOUNT_NAME) } as KObject;
}

export function configMap(): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(CONTROLLER_NAME) };
}

/** The controller's own flags, as upstream passes them (minus the validating webhook's). */
export const CONTROLLER_ARGS = [
  '/nginx-ingress-controller',
  `--publish-service=$(POD_NAMESPACE)/${CONTROLLER_NAME}`,
  '--election-id=ingress-nginx-leader',
  `--controller-class=${CONTROLLER_CLASS}`,
  `--ingress-class=${INGRESS_CLASS_NAME}`,
  `--configmap=$(POD_NAMESPACE)/${CONTROLLER_NAME}`,
];

export function deployment(): KObject {
  const healthz = { path: '/healthz', port: HEALTH_PORT, scheme: 'HTTP' };
  const probe = { failureThreshold: 3, httpGet: healthz, initialDelaySeconds: 10, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(CONTROLLER_NAME),
    spec: {
      replicas: 1,
      minReadySeconds: 0,
      revisionHistoryLimit: 10,
      selector: { matchLabels: CONTROLLER_SELECTOR },
      template: {
        metadata: { labels: CONTROLLER_SELECTOR },
        spec: {
          containers: [
            {
              name: 'controller',
              image: CONTROLLER_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args: CONTROLLER_ARGS,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              livenessProbe: { ...probe, failureThreshold: 5 },
              readinessProbe: { failureThreshold: 3, httpGet: healthz, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
              ports: [
                { containerPort: 80, name: 'http', protocol: 'TCP' },
                { containerPort: 443, name: 'https', protocol: 'TCP' },
              ],
              resources: { requests: { cpu: '100m', memory: '90Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: false,
                runAsNonRoot: true,
                runAsUser: 101,
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
          dnsPolicy: 'ClusterFirst',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: SERVICE_ACCOUNT_NAME,
          terminationGracePeriodSeconds: 300,
        },
      },
    },
  };
}

export function service(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(CONTROLLER_NAME),
    spec: {
      type: 'LoadBalancer',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [
        { appProtocol: 'http', name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
        { appProtocol: 'https', name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' },
      ],
      selector: CONTROLLER_SELECTOR,
    },
  };
}

export function ingressClass(): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: INGRESS_CLASS_NAME, labels: LABELS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: CONTROLLER_CLASS },
  };
}

export type IngressNginxPart = 'namespace' | 'serviceaccount' | 'configmap' | 'service' | 'deployment' | 'ingressclass';

export interface ObservedIngressNginx {
  present: Record<IngressNginxPart, boolean>;
}

/**
 * Creation order: the namespace holds the rest; the pod needs its account and ConfigMap, and its
 * first sync should already see the class it serves and the Service whose address it publishes.
 */
const ALL: { part: IngressNginxPart; make: () => KObject }[] = [
  { part: 'namespace', make: namespace },
  { part: 'serviceaccount', make: serviceAccount },
  { part: 'configmap', make: configMap },
  { part: 'ingressclass', make: ingressClass },
  { part: 'service', make: service },
  { part: 'deployment', make: deployment },
];

/**
 * What to create: every part that is missing. Parts that exist are
 * left as they are, so user edits (replicas, the ConfigMap, the class's default mark) stay; a
 * deleted part comes back.
 */
export function missingIngressNginxParts(o: ObservedIngressNginx): { part: IngressNginxPart; object: KObject }[] {
  return ALL.filter((p) => !o.present[p.part]).map((p) => ({ part: p.part, object: p.make() }));
}
