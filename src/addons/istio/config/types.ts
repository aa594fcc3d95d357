import type { PolicyTable } from '../../../api/networkpolicy/verdict.js';
import type { KeyPair } from '../../proxy/certificates.js';
import type { Endpoint } from '../../proxy/endpoints.js';

// What istiod sends a gateway proxy: its whole configuration in one document, the shape of
// Envoy's listeners (LDS) with their routes (RDS), clusters with their endpoints (CDS/EDS) and
// the TLS credentials they name (SDS). Plain JSON, so it crosses the pod network as it is; the
// proxy compiles the regexes on receipt.

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

/** A header or query parameter condition; `present` is Istio's empty match `{}`. */
export type ValueMatch = StringMatch | { present: true };

export interface RouteMatch {
  uri?: StringMatch;
  ignoreUriCase?: boolean;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, ValueMatch>;
  withoutHeaders?: Record<string, ValueMatch>;
  queryParams?: Record<string, ValueMatch>;
  /** The gateway port the request came in on (the Gateway server's number). */
  port?: number;
  /** The calling workload's labels (all of them must be present); mesh only. */
  sourceLabels?: Record<string, string>;
  /** The calling workload's namespace; mesh only. */
  sourceNamespace?: string;
  /** The match block's `name`: pilot names the Envoy route `<route name>.<match name>`. */
  name?: string;
}

export interface HeaderOps {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface HeaderRules {
  request?: HeaderOps;
  response?: HeaderOps;
}

export interface WeightedCluster {
  cluster: string;
  weight: number;
  headers?: HeaderRules;
}

export interface RetryPolicy {
  /** Retries after the first try (Envoy num_retries); 0: none. */
  attempts: number;
  perTryTimeoutMs?: number;
  retryOn: string[];
  statusCodes: number[];
}

export interface FaultPolicy {
  delay?: { ms: number; percent: number };
  abort?: { status: number; percent: number };
}

/** VirtualService `mirror`: a copy of each request (of `percent` of them) to another cluster. */
export interface MirrorPolicy {
  cluster: string;
  percent: number;
}

/** VirtualService `corsPolicy`, as Envoy's CORS filter takes it per route. */
export interface CorsPolicy {
  allowOrigins: StringMatch[];
  allowMethods?: string;
  allowHeaders?: string;
  exposeHeaders?: string;
  /** Seconds, as Envoy writes access-control-max-age. */
  maxAge?: string;
  allowCredentials?: boolean;
  /** Istio's `unmatchedPreflights`: a preflight from an origin not allowed goes upstream (FORWARD) or is answered without CORS headers (IGNORE). */
  forwardUnmatchedPreflights: boolean;
}

export type RouteAction =
  | { kind: 'route'; clusters: WeightedCluster[]; timeoutMs?: number; retry: RetryPolicy; rewrite?: { uri?: string; authority?: string }; mirrors?: MirrorPolicy[] }
  | { kind: 'redirect'; status: number; uri?: string; authority?: string; port?: number; derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT'; scheme?: string }
  | { kind: 'direct'; status: number; body: string };

export interface Route {
  /** The HTTPRoute's `name`, '' without one (the access log's ROUTE_NAME, with the match block's). */
  name: string;
  /** ORed; an empty list matches every request. */
  matches: RouteMatch[];
  action: RouteAction;
  headers?: HeaderRules;
  fault?: FaultPolicy;
  cors?: CorsPolicy;
}

export interface VirtualHost {
  /** `host:port` is matched without the port (Istio ignores ports when matching hosts). */
  domains: string[];
  routes: Route[];
  /** Gateway `tls.httpsRedirect`: every request is redirected to https. */
  requireTls?: boolean;
}

export interface ServerTls {
  /** SNI names (or `*`) this credential is served for. */
  hosts: string[];
  /** `namespace/name` of the Secret, a key of ProxyConfig.secrets when it could be read. */
  credential: string;
  /**
   * The server's `tls.mode` when it asks clients for a certificate, verified against the
   * credential's CA: MUTUAL requires one, OPTIONAL_MUTUAL takes a connection without. Absent: SIMPLE.
   */
  clientCertificate?: 'MUTUAL' | 'OPTIONAL_MUTUAL';
  /** `minProtocolVersion`/`maxProtocolVersion` other than TLS_AUTO, as Node names them. */
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /**
   * What a client certificate must also be (mutual TLS): one of `subjectAltNames` among its SANs,
   * and its SHA-256 hash (hex, no colons, lowercase) among `certificateHashes` or its SPKI's
   * (base64) among `spkiHashes` when either list is given.
   */
  subjectAltNames?: string[];
  certificateHashes?: string[];
  spkiHashes?: string[];
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** A gateway credential (SDS): the server's key pair, and for mutual TLS the CA (and CRL) client certificates are checked against. */
export interface GatewayCredential extends KeyPair {
  ca?: string;
  crl?: string;
}

export interface Listener {
  /** The port the proxy listens on in its pod (the gateway Service's targetPort for the server's number). */
  port: number;
  /** The Gateway server's port number, as clients address it through the Service. */
  serverPort: number;
  protocol: 'HTTP' | 'HTTPS' | 'TCP';
  tls?: ServerTls[];
  virtualHosts: VirtualHost[];
  /** A TCP listener's routes (Gateway servers of protocol TCP): the first that takes the connection picks its cluster; none closes it. */
  tcp?: TcpRoute[];
  /**
   * An HTTPS listener's TLS PASSTHROUGH routes (the `tls` routes of the VirtualServices bound to
   * its PASSTHROUGH servers): a connection whose ClientHello names one of `sniHosts` (exact or
   * `*.` suffix) is passed, still encrypted, to a cluster of the route's by weight.
   */
  passthrough?: SniRoute[];
  /**
   * Mesh listeners: the virtual host is the one whose domain is the connection's original
   * destination (the Service's ClusterIP), not the Host header's; and the destinations that do
   * not carry HTTP, the cluster their bytes are passed to (`sniff` when the port's protocol is
   * left to detection).
   */
  mesh?: {
    tcp: Record<string, string>;
    sniff: Record<string, string>;
    /**
     * Destinations only some namespaces see (a ServiceEntry's exportTo): a connection from a
     * workload of another namespace is passed through to its original destination, as a
     * sidecar that does not know the host sends it to Istio's PassthroughCluster.
     */
    exportTo?: Record<string, string[]>;
    /**
     * The `tcp` routes of the VirtualService on the destination's host that apply to its port,
     * in order, for the bytes of a TCP (or sniffed, not HTTP) destination; absent: its own cluster.
     */
    tcpRoutes?: Record<string, TcpRoute[]>;
  };
}

/** A VirtualService's TCPRoute: the first whose matches (ORed; none: every caller) take the caller picks a cluster by weight. */
export interface TcpRoute {
  /** A block's destinationSubnets: the connection's original destination must be in one of them. */
  matches: { sourceLabels?: Record<string, string>; sourceNamespace?: string; destinationSubnets?: string[] }[];
  clusters: WeightedCluster[];
}

export interface SniRoute {
  sniHosts: string[];
  clusters: WeightedCluster[];
}

/** Istio's cluster for traffic to destinations the proxy does not know: the original destination. */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

export type LoadBalancer = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';

/** What Envoy's ring hash hashes for a request (its route hash_policy, which pilot fills from `consistentHash`). */
export type HashPolicy =
  | { header: string }
  | { cookie: { name: string; path?: string; ttlMs?: number } }
  | { sourceIp: true }
  | { queryParameter: string };

/** Envoy's circuit breaker thresholds and pool settings from `connectionPool` (absent: Istio's unlimited defaults). */
export interface ConnectionPoolPolicy {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRequestsPerConnection?: number;
  connectTimeoutMs?: number;
  /** How long an upstream connection may stay idle before it is closed. */
  idleTimeoutMs?: number;
}

/** Envoy's outlier_detection as pilot writes it from `outlierDetection`, Envoy's defaults filled in. */
export interface OutlierPolicy {
  /** 0: off. */
  consecutive5xx: number;
  /** 0: off. */
  consecutiveGatewayErrors: number;
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionPercent: number;
  /** The healthy panic threshold: below this share of healthy hosts, all hosts take traffic. */
  minHealthPercent: number;
}

/**
 * TLS to the cluster's endpoints (a DestinationRule's `tls`, SIMPLE or MUTUAL): Envoy's
 * UpstreamTlsContext as pilot writes it.
 */
export interface UpstreamTls {
  /** The SNI, also the name the certificate must carry unless `subjectAltNames` are given. */
  sni: string;
  /** PEM roots to verify with; absent: the system's (VERIFY_CERTIFICATE_AT_CLIENT). */
  ca?: string;
  /** insecureSkipVerify: no verification at all. */
  insecure?: true;
  /** Names the certificate must carry one of among its SANs, instead of the SNI. */
  subjectAltNames?: string[];
  /** MUTUAL: the client's key pair. */
  cert?: string;
  key?: string;
  /** The credentialName's Secret that istiod could not find or read: every connection fails, as with a secret SDS never supplied. */
  missing?: string;
}

export interface Cluster {
  endpoints: Endpoint[];
  lb: LoadBalancer;
  tls?: UpstreamTls;
  /** Envoy's ORIGINAL_DST cluster (a ServiceEntry with resolution NONE): the connection's own destination is the endpoint. */
  originalDst?: true;
  /** Consistent hashing (ring hash) instead of `lb`. */
  hash?: { policy: HashPolicy; minimumRingSize: number };
  pool?: ConnectionPoolPolicy;
  outlier?: OutlierPolicy;
}

export interface ProxyConfig {
  /** Changes whenever anything in the document does. */
  version: string;
  listeners: Listener[];
  /** `outbound|<port>|<subset>|<fqdn>`, as Envoy's clusters are named in Istio. */
  clusters: Record<string, Cluster>;
  secrets: Record<string, GatewayCredential>;
  /** Mesh proxies: the pods that may call through it, by IP, for sourceLabels and sourceNamespace. */
  workloads?: Record<string, { namespace: string; labels: Record<string, string> }>;
  /** istiod's PILOT_HTTP10: Envoy's accept_http_10 on every HTTP listener (otherwise HTTP/1.0 gets 426). */
  acceptHttp10?: true;
  /** Mesh proxies: the DNS proxy's table (Istio's NameTable), ServiceEntry hosts by name. */
  dns?: DnsTable;
  /**
   * Mesh proxies: the NetworkPolicies in force, which a node proxy applies to the connections it
   * makes for meshed pods (the node lets those through, src/node/networkpolicy); absent: none
   * isolates a pod.
   */
  policies?: PolicyTable;
  /**
   * Mesh proxies, with `policies`: the cluster DNS's ready endpoints, where a query the DNS proxy
   * forwards for a meshed pod goes, so that the pod's egress policies and theirs apply to it.
   */
  dnsEndpoints?: DnsEndpoint[];
}

export interface DnsEndpoint {
  address: string;
  port: number;
  protocol: 'udp' | 'tcp';
}

/**
 * The names a ztunnel answers itself, lower case without the final dot: each with its IPv4
 * addresses, and the namespaces whose workloads may see it (absent: all; its entry's exportTo).
 */
export type DnsTable = Record<string, { addresses: string[]; exportTo?: string[] }>;
