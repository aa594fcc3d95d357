// Constants every skiff process shares (names, ports, address ranges), as kind keeps them in
// pkg/cluster/constants. This folder sits below every layer and imports nothing from src.

/** The cluster `skiff up` makes when no --name is given. */
export const DEFAULT_CLUSTER_NAME = 'skiff';

/** File name of the API server's HTTPS unix socket in the cluster directory (beside api.sock). */
export const API_TLS_SOCKET_NAME = 'api-tls.sock';

/** The port every node agent relays the API on (the API server's usual secure port). */
export const API_RELAY_PORT = 6443;

/** kube-apiserver's --service-cluster-ip-range default, as kubeadm and kind set it. */
export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';

/** The `kubernetes` Service's address: the first of the range, as upstream reserves it. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

/** The kube-dns Service's address, the kubelet's --cluster-dns (kubeadm's: the range's tenth). */
export const CLUSTER_DNS_IP = '10.96.0.10';

/**
 * LoadBalancer addresses. The cluster has no cloud: a LoadBalancer Service is given an
 * address on the host's loopback. Linux routes all of 127.0.0.0/8 to `lo`, so every address
 * here is reachable from the host with no interface to configure and nothing to clean up,
 * and each Service gets its own address, so two LoadBalancers (or one and a host program
 * on 127.0.0.1) can all listen on port 80. 127.0.0.1 itself is kept out: NodePorts and the
 * API server are there. The pool is small on purpose: it is for one machine.
 */
export const LOAD_BALANCER_POOL = { first: '127.0.10.1', last: '127.0.10.254' } as const;

/**
 * Istio's proxy status port (/healthz/ready): every gateway and ztunnel serves it itself, so a
 * Service port of that number (the ingress gateway's) is not captured by the mesh nor given a
 * mesh listener; meshed pods reach it as kube-proxy routes it.
 */
export const ISTIO_STATUS_PORT = 15021;

/** istiod's secure xDS port (TLS), where proxies subscribe to their configuration. */
export const ISTIOD_XDS_PORT = 15012;
/** Where a node's ztunnel answers the DNS queries of meshed pods the node sends it (Istio's DNS capture port). */
export const ZTUNNEL_DNS_PORT = 15053;
/** Where istiod reads its serving certificate (tls.crt, tls.key): the istiod-tls Secret's mount, as istio-csr provides it. */
export const ISTIOD_TLS_DIR = '/var/run/secrets/istiod/tls';
