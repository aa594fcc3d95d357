import type { KObject } from '../types.js';
import { appendErrors, goErr, Validation, type Err } from './istio-errors.js';
import { num, objects, strings, validateDuration, validateExportTo, validateLabels, validatePercent, validateSubsetName, validateWildcardDomain } from './istio-common.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// ValidateDestinationRule (pkg/config/validation/validation.go, Istio 1.26): host, traffic policy
// (load balancer, connection pool, outlier detection, client TLS, port-level settings), subsets.

function validateOutlierDetection(outlier: unknown): Validation {
  const v = new Validation();
  if (!isObject(outlier)) return v;
  if (outlier.baseEjectionTime !== undefined) v.add(validateDuration(outlier.baseEjectionTime));
  if (num(outlier.consecutiveErrors) !== 0) v.warn('outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead');
  if (outlier.splitExternalLocalOriginErrors !== true && num(outlier.consecutiveLocalOriginFailures) > 0) {
    v.error('outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false');
  }
  if (outlier.interval !== undefined) v.add(validateDuration(outlier.interval));
  return v.add(validatePercent(num(outlier.maxEjectionPercent)), validatePercent(num(outlier.minHealthPercent)));
}

function validateConnectionPool(pool: unknown): Err {
  if (!isObject(pool)) return undefined;
  if (!isObject(pool.http) && !isObject(pool.tcp)) return goErr('connection pool must have at least one field');
  let errs: Err;
  const nonNegative = (s: JsonObject, field: string, msg: string) => {
    if (num(s[field]) < 0) errs = appendErrors(errs, goErr(msg));
  };
  if (isObject(pool.http)) {
    const h = pool.http;
    nonNegative(h, 'http1MaxPendingRequests', 'http1 max pending requests must be non-negative');
    nonNegative(h, 'http2MaxRequests', 'http2 max requests must be non-negative');
    nonNegative(h, 'maxRequestsPerConnection', 'max requests per connection must be non-negative');
    nonNegative(h, 'maxRetries', 'max retries must be non-negative');
    if (h.idleTimeout !== undefined) errs = appendErrors(errs, validateDuration(h.idleTimeout));
    if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol === true) errs = appendErrors(errs, goErr('use client protocol must not be true when H2UpgradePolicy is UPGRADE'));
    nonNegative(h, 'maxConcurrentStreams', 'max concurrent streams must be non-negative');
  }
  if (isObject(pool.tcp)) {
    const t = pool.tcp;
    nonNegative(t, 'maxConnections', 'max connections must be non-negative');
    if (t.connectTimeout !== undefined) errs = appendErrors(errs, validateDuration(t.connectTimeout));
    if (t.maxConnectionDuration !== undefined) errs = appendErrors(errs, validateDuration(t.maxConnectionDuration));
    // 0s switches the idle timeout off.
    if (t.idleTimeout !== undefined && t.idleTimeout !== '0s' && t.idleTimeout !== '0') errs = appendErrors(errs, validateDuration(t.idleTimeout));
    if (isObject(t.tcpKeepalive)) {
      if (t.tcpKeepalive.time !== undefined) errs = appendErrors(errs, validateDuration(t.tcpKeepalive.time));
      if (t.tcpKeepalive.interval !== undefined) errs = appendErrors(errs, validateDuration(t.tcpKeepalive.interval));
    }
  }
  return errs;
}

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f <= Math.sqrt(x); f += 2) if (x % f === 0) return false;
  return true;
}

function validateLoadBalancer(lb: unknown): Validation {
  const v = new Validation();
  if (!isObject(lb)) return v;
  if (isObject(lb.consistentHash)) {
    const ch = lb.consistentHash;
    if (isObject(ch.httpCookie) && !str(ch.httpCookie.name)) v.error('name required for HttpCookie');
    const minRing = num(ch.minimumRingSize);
    if (minRing !== 0) v.warn('consistent hash MinimumRingSize is deprecated, use ConsistentHashLB\'s RingHash configuration instead');
    if (minRing !== 0 && (isObject(ch.ringHash) || isObject(ch.maglev))) v.error('only one of MinimumRingSize or Maglev/Ringhash can be specified');
    if (isObject(ch.maglev)) {
      const size = num(ch.maglev.tableSize);
      if (size === 0) v.error('tableSize must be set for maglev');
      if (size >= 5000011) v.error('tableSize must be less than 5000011 for maglev');
      if (!isPrime(size)) v.error('tableSize must be a prime number for maglev');
    }
  }
  if (isObject(lb.warmup)) {
    const w = lb.warmup;
    if (w.duration === undefined) v.error('duration is required');
    else v.add(validateDuration(w.duration));
    if (num(w.minimumPercent) > 100) v.error('minimumPercent value should be less than or equal to 100');
    if (w.aggression !== undefined && num(w.aggression) < 1) v.error('aggression should be greater than or equal to 1');
  }
  return v;
}

/** agent.ValidateTLS: the client side of a DestinationRule. */
function validateClientTLS(tls: unknown): Err {
  if (!isObject(tls)) return undefined;
  let errs: Err;
  const mode = str(tls.mode);
  const has = (k: string) => str(tls[k]) !== '';
  if (tls.insecureSkipVerify === true) {
    if (mode === 'SIMPLE' && (has('caCertificates') || has('credentialName') || tls.subjectAltNames !== undefined)) {
      errs = appendErrors(errs, goErr('cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true'));
    }
    if (mode === 'MUTUAL' && (has('caCertificates') || tls.subjectAltNames !== undefined)) {
      errs = appendErrors(errs, goErr('cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true'));
    }
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && has('credentialName')) {
    if (has('clientCertificate') || has('caCertificates') || has('privateKey') || has('caCrl')) {
      errs = appendErrors(errs, goErr('cannot specify client certificates or CA certificate or CA CRL If credentialName is set'));
    }
    return errs;
  }
  if (mode === 'MUTUAL') {
    if (!has('clientCertificate')) errs = appendErrors(errs, goErr('client certificate required for mutual tls'));
    if (!has('privateKey')) errs = appendErrors(errs, goErr('private key required for mutual tls'));
  }
  return errs;
}

function validatePortTrafficPolicies(settings: unknown): Err {
  let errs: Err;
  for (const t of objects(settings)) {
    if (!t) {
      errs = appendErrors(errs, goErr('traffic policy may not be null'));
      continue;
    }
    if (!isObject(t.port)) errs = appendErrors(errs, goErr('portTrafficPolicy must have valid port'));
    if (!isObject(t.outlierDetection) && !isObject(t.connectionPool) && !isObject(t.loadBalancer) && !isObject(t.tls)) {
      errs = appendErrors(errs, goErr('port traffic policy must have at least one field'));
    } else {
      errs = appendErrors(errs, validateOutlierDetection(t.outlierDetection), validateConnectionPool(t.connectionPool), validateLoadBalancer(t.loadBalancer), validateClientTLS(t.tls));
    }
  }
  return errs;
}

const POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol'];

function validateTrafficPolicy(policy: unknown): Validation {
  const v = new Validation();
  if (!isObject(policy)) return v;
  if (!POLICY_FIELDS.some((f) => policy[f] !== undefined && policy[f] !== null)) return v.error('traffic policy must have at least one field');
  if (isObject(policy.tunnel) && isObject(policy.proxyProtocol)) return v.error('tunnel and proxyProtocol must not be set together');
  v.add(validateOutlierDetection(policy.outlierDetection), validateConnectionPool(policy.connectionPool), validateLoadBalancer(policy.loadBalancer));
  v.add(validateClientTLS(policy.tls), validatePortTrafficPolicies(policy.portLevelSettings));
  if (isObject(policy.proxyProtocol)) {
    const version = policy.proxyProtocol.version;
    if (version !== undefined && version !== 'V1' && version !== 'V2' && version !== 0 && version !== 1) v.error(`proxy protocol version is invalid: ${String(version)}`);
  }
  return v;
}

export function validateDestinationRule(dr: KObject): Validation {
  const spec = obj(dr.spec);
  const v = new Validation().add(validateWildcardDomain(str(spec.host)), validateTrafficPolicy(spec.trafficPolicy));
  const names = new Set<string>();
  for (const s of objects(spec.subsets)) {
    if (!s) {
      v.error('subset may not be null');
      continue;
    }
    const name = str(s.name);
    if (names.has(name)) v.error(`duplicate subset names: ${name}`);
    names.add(name);
    v.add(appendErrors(validateSubsetName(name), validateLabels(s.labels), validateTrafficPolicy(s.trafficPolicy)));
  }
  const selector = isObject(spec.workloadSelector) ? spec.workloadSelector : undefined;
  v.add(validateExportTo(dr.metadata.namespace ?? '', strings(spec.exportTo), false, selector !== undefined));
  if (selector) v.add(validateLabels(selector.matchLabels));
  return v;
}
