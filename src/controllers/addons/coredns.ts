import type { KObject } from '../../api/types.js';
import { CLUSTER_DNS_IP } from '../../cluster/constants.js';

// The CoreDNS add-on as kubeadm installs it (cmd/kubeadm/app/phases/addons/dns/manifests.go):
// ServiceAccount, ConfigMap with the Corefile, Deployment and the kube-dns Service. Differences,
// each for a reason of this machine: one replica; no priorityClassName (the API serves no
// PriorityClass); the Corefile has no `ttl 30`, so records carry the kubernetes plugin's
// default TTL of 5 seconds that the DNS specification tests expect; no RBAC objects (the API
// serves no RBAC kinds). The pod reaches the API as kubeadm's does, with its ServiceAccount's
// mounted token through the `kubernetes` Service; what skiff's DNS adds to CoreDNS comes in
// explicitly: the host's hosts file as a hostPath volume (`-skiff-hosts`), and the cluster's
// egress setting (`-skiff-egress`), which says which upstream resolvers a pod can reach.

export const ADDON_NAMESPACE = 'kube-system';
export const COREDNS_NAME = 'coredns';
export const KUBE_DNS_SERVICE = 'kube-dns';
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
export const CLUSTER_DOMAIN = 'cluster.local';
const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane';
/** Where the DNS container sees the host's /etc/hosts (its own /etc/hosts is the pod's). */
export const HOST_HOSTS_PATH = '/etc/skiff/hosts';

/** What the cluster's DNS depends on beyond the manifest. */
export interface CoreDNSOptions {
  /** The cluster's --egress setting (all, none or CIDRs); without it, no upstream is used. */
  egress?: string;
}

export const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${CLUSTER_DOMAIN}
       disable denial ${CLUSTER_DOMAIN}
    }
    loop
    reload
    loadbalance
}
`;

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ADDON_NAMESPACE, ...extra });

export function serviceAccount(): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(COREDNS_NAME) };
}

export function configMap(): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(COREDNS_NAME), data: { Corefile: COREFILE } };
}

export function deployment(o: CoreDNSOptions = {}): KObject {
  const labels = { 'k8s-app': KUBE_DNS_SERVICE };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(COREDNS_NAME, { labels }),
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: COREDNS_NAME,
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: [KUBE_DNS_SERVICE] }] },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: CONTROL_PLANE_TAINT, effect: 'NoSchedule' },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: COREDNS_NAME,
              image: COREDNS_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              args: ['-conf', '/etc/coredns/Corefile', `-skiff-hosts=${HOST_HOSTS_PATH}`, ...(o.egress !== undefined ? [`-skiff-egress=${o.egress}`] : [])],
              volumeMounts: [
                { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
                { name: 'host-hosts', mountPath: HOST_HOSTS_PATH, readOnly: true },
              ],
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                { containerPort: 8080, name: 'liveness-probe', protocol: 'TCP' },
                { containerPort: 8181, name: 'readiness-probe', protocol: 'TCP' },
              ],
              livenessProbe: {
                httpGet: { path: '/health', port: 'liveness-probe', scheme: 'HTTP' },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                successThreshold: 1,
                failureThreshold: 5,
              },
              readinessProbe: { httpGet: { path: '/ready', port: 'readiness-probe', scheme: 'HTTP' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
            },
          ],
          dnsPolicy: 'Default',
          volumes: [
            { name: 'config-volume', configMap: { name: COREDNS_NAME, items: [{ key: 'Corefile', path: 'Corefile' }] } },
            { name: 'host-hosts', hostPath: { path: '/etc/hosts', type: 'File' } },
          ],
        },
      },
    },
  };
}

export function service(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(KUBE_DNS_SERVICE, {
      labels: { 'k8s-app': KUBE_DNS_SERVICE, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    }),
    spec: {
      clusterIP: CLUSTER_DNS_IP,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      selector: { 'k8s-app': KUBE_DNS_SERVICE },
    },
  };
}

export type AddonPart = 'serviceaccount' | 'configmap' | 'deployment' | 'service';

export interface ObservedAddon {
  present: Record<AddonPart, boolean>;
}

/**
 * What to create: every part that is missing. Parts that exist are
 * left as they are, so user edits (replicas, the Corefile) stay; a deleted part comes back.
 * Order matters only for a first install: the Deployment's pod needs its ConfigMap and account.
 */
export function missingParts(o: ObservedAddon, opts: CoreDNSOptions = {}): { part: AddonPart; object: KObject }[] {
  const all: { part: AddonPart; make: () => KObject }[] = [
    { part: 'serviceaccount', make: serviceAccount },
    { part: 'configmap', make: configMap },
    { part: 'service', make: service },
    { part: 'deployment', make: () => deployment(opts) },
  ];
  return all.filter((p) => !o.present[p.part]).map((p) => ({ part: p.part, object: p.make() }));
}
