import { parseDurationMs } from './duration.js';
import type { Cluster, ConnectionPoolPolicy, HashPolicy, LoadBalancer, OutlierPolicy, UpstreamTls } from './types.js';

// A DestinationRule's trafficPolicy as pilot applies it to one cluster
// (pilot/pkg/networking/core/cluster_traffic_policy.go): the subset's policy over the top-level
// one field by field, and a portLevelSettings entry for the cluster's port replacing the fields
// it carries wholesale (port-level policies do not inherit; their absent fields take the
// defaults). Then the load balancer, Envoy's circuit breakers and outlier detection, with the
// defaults Istio and Envoy fill in.

interface LoadBalancerSettings {
  simple?: string;
  consistentHash?: {
    httpHeaderName?: string;
    httpCookie?: { name?: string; path?: string; ttl?: string };
    useSourceIp?: boolean;
    httpQueryParameterName?: string;
    minimumRingSize?: number;
    ringHash?: { minimumRingSize?: number };
  };
}

interface ConnectionPoolSettings {
  tcp?: { maxConnections?: number; connectTimeout?: string; idleTimeout?: string };
  http?: { http1MaxPendingRequests?: number; http2MaxRequests?: number; maxRequestsPerConnection?: number; idleTimeout?: string };
}

interface OutlierDetectionSettings {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  /** Deprecated: gateway errors (502, 503, 504) before ejection, with 5xx not enforced. */
  consecutiveErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

/** ClientTLSSettings: file paths (caCertificates, clientCertificate, privateKey) name files of a sidecar's, which a node proxy does not have. */
export interface ClientTlsSettings {
  mode?: string;
  credentialName?: string;
  sni?: string;
  subjectAltNames?: string[];
  insecureSkipVerify?: boolean;
  caCertificates?: string;
  clientCertificate?: string;
  privateKey?: string;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetectionSettings;
  tls?: ClientTlsSettings;
  portLevelSettings?: (Omit<TrafficPolicy, 'portLevelSettings'> & { port?: { number?: number } })[];
}

type Fields = Omit<TrafficPolicy, 'portLevelSettings'>;

function fields(p: Fields): Fields {
  return { loadBalancer: p.loadBalancer, connectionPool: p.connectionPool, outlierDetection: p.outlierDetection, tls: p.tls };
}

function atPort(policy: TrafficPolicy | undefined, port: number): Fields | undefined {
  if (!policy) return undefined;
  return fields(policy.portLevelSettings?.find((s) => s.port?.number === port) ?? policy);
}

/** pilot's MergeTrafficPolicy: the top-level policy at the port, overridden by the subset's (itself at the port). */
export function mergeTrafficPolicy(top: TrafficPolicy | undefined, subset: TrafficPolicy | undefined, port: number): Fields {
  const base = atPort(top, port) ?? {};
  if (!subset) return base;
  const merged: Fields = {
    loadBalancer: subset.loadBalancer ?? base.loadBalancer,
    connectionPool: subset.connectionPool ?? base.connectionPool,
    outlierDetection: subset.outlierDetection ?? base.outlierDetection,
    tls: subset.tls ?? base.tls,
  };
  const p = subset.portLevelSettings?.find((s) => s.port?.number === port);
  return p ? fields(p) : merged;
}

/** Envoy's ring hash minimum ring size, which pilot leaves at Envoy's default unless set. */
const DEFAULT_RING_SIZE = 1024;

function hashPolicy(ch: NonNullable<LoadBalancerSettings['consistentHash']>): HashPolicy | undefined {
  if (ch.httpHeaderName) return { header: ch.httpHeaderName.toLowerCase() };
  if (ch.httpCookie?.name) {
    const ttlMs = parseDurationMs(ch.httpCookie.ttl);
    return { cookie: { name: ch.httpCookie.name, ...(ch.httpCookie.path ? { path: ch.httpCookie.path } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}) } };
  }
  if (ch.useSourceIp) return { sourceIp: true };
  if (ch.httpQueryParameterName) return { queryParameter: ch.httpQueryParameterName };
  return undefined;
}

function connectionPool(cp: ConnectionPoolSettings | undefined): ConnectionPoolPolicy | undefined {
  if (!cp) return undefined;
  const out: ConnectionPoolPolicy = {};
  // Zero or absent leaves Istio's default threshold, which is unlimited.
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined);
  const set = <K extends keyof ConnectionPoolPolicy>(k: K, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('maxConnections', positive(cp.tcp?.maxConnections));
  set('maxPendingRequests', positive(cp.http?.http1MaxPendingRequests));
  set('maxRequests', positive(cp.http?.http2MaxRequests));
  set('maxRequestsPerConnection', positive(cp.http?.maxRequestsPerConnection));
  set('connectTimeoutMs', parseDurationMs(cp.tcp?.connectTimeout));
  // The HTTP idle timeout, else the TCP one, as pilot picks it.
  set('idleTimeoutMs', parseDurationMs(cp.http?.idleTimeout ?? cp.tcp?.idleTimeout));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Envoy's outlier_detection defaults: 5 consecutive 5xx, gateway errors not enforced, 10 s interval, 30 s base ejection, 10%. */
export const OUTLIER_DEFAULTS = { consecutive5xx: 5, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10 };

function outlier(od: OutlierDetectionSettings | undefined): OutlierPolicy | undefined {
  if (!od) return undefined;
  const legacy = od.consecutiveErrors !== undefined && od.consecutive5xxErrors === undefined && od.consecutiveGatewayErrors === undefined;
  const gateway = od.consecutiveGatewayErrors ?? od.consecutiveErrors;
  return {
    consecutive5xx: od.consecutive5xxErrors ?? (legacy ? 0 : OUTLIER_DEFAULTS.consecutive5xx),
    consecutiveGatewayErrors: gateway ?? 0,
    intervalMs: parseDurationMs(od.interval) || OUTLIER_DEFAULTS.intervalMs,
    baseEjectionMs: parseDurationMs(od.baseEjectionTime) || OUTLIER_DEFAULTS.baseEjectionMs,
    maxEjectionPercent: od.maxEjectionPercent && od.maxEjectionPercent > 0 ? od.maxEjectionPercent : OUTLIER_DEFAULTS.maxEjectionPercent,
    // Istio sets the panic threshold to minHealthPercent, 0 (never panic) when absent.
    minHealthPercent: od.minHealthPercent ?? 0,
  };
}

/** Whether a DestinationRule's policies (top level, subsets, their ports) name a credential anywhere: its cluster then depends on Secrets. */
export function namesCredential(top: TrafficPolicy | undefined, subsets: (TrafficPolicy | undefined)[]): boolean {
  return [top, ...subsets].some((p) => !!p?.tls?.credentialName || !!p?.portLevelSettings?.some((s) => !!s.tls?.credentialName));
}

/**
 * The cluster settings (all but its endpoints) for one port of a destination, from its
 * DestinationRule; `tls` makes the merged client TLS settings the cluster's (it reads Secrets).
 */
export function clusterPolicy(
  top: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
  port: number,
  tls?: (settings: ClientTlsSettings) => UpstreamTls | undefined,
): Omit<Cluster, 'endpoints'> {
  const p = mergeTrafficPolicy(top, subset, port);
  const upstreamTls = p.tls && tls ? tls(p.tls) : undefined;
  const simple = p.loadBalancer?.simple ?? 'LEAST_REQUEST';
  const lb = (['ROUND_ROBIN', 'RANDOM', 'PASSTHROUGH'].includes(simple) ? simple : 'LEAST_REQUEST') as LoadBalancer;
  const ch = p.loadBalancer?.consistentHash;
  const hash = ch ? hashPolicy(ch) : undefined;
  const pool = connectionPool(p.connectionPool);
  const od = outlier(p.outlierDetection);
  return {
    lb,
    ...(hash ? { hash: { policy: hash, minimumRingSize: ch?.ringHash?.minimumRingSize || ch?.minimumRingSize || DEFAULT_RING_SIZE } } : {}),
    ...(pool ? { pool } : {}),
    ...(od ? { outlier: od } : {}),
    ...(upstreamTls ? { tls: upstreamTls } : {}),
  };
}
