import { parseGoDuration } from '../duration.js';
import { appendErrors, goErr, goQuote, multiAppend, type Err } from './istio-errors.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// The checks Istio's validation shares between kinds (pkg/config/validation/agent, labels,
// visibility, protocol), with its wording.

export type Protocol = 'TCP' | 'UDP' | 'GRPC' | 'GRPC-Web' | 'HTTP' | 'HTTP_PROXY' | 'HTTP2' | 'HTTPS' | 'TLS' | 'Mongo' | 'Redis' | 'MySQL' | 'UnsupportedProtocol';

const PROTOCOLS: Record<string, Protocol> = {
  tcp: 'TCP', udp: 'UDP', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', http: 'HTTP', http_proxy: 'HTTP_PROXY', http2: 'HTTP2',
  https: 'HTTPS', tls: 'TLS', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
};

/** protocol.Parse: case-insensitive, anything else unsupported. */
export function parseProtocol(s: string): Protocol {
  return PROTOCOLS[s.toLowerCase()] ?? 'UnsupportedProtocol';
}

export const isHTTPProtocol = (p: Protocol): boolean => p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-Web';
export const isTLSProtocol = (p: Protocol): boolean => p === 'HTTPS' || p === 'TLS';
export const isTCPProtocol = (p: Protocol): boolean => p === 'TCP' || p === 'HTTPS' || p === 'TLS' || p === 'Mongo' || p === 'Redis' || p === 'MySQL';

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_PREFIX = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const LABEL_KEY = /^((?:[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*\/))?((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const LABEL_VALUE = /^((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** labels.IsDNS1123Label: Istio's own check, which allows upper case. */
export function isIstioDNSLabel(v: string): boolean {
  return v.length <= 63 && DNS1123_LABEL.test(v);
}

export function isWildcardDNSLabel(v: string): boolean {
  return v.length <= 63 && WILDCARD_PREFIX.test(v);
}

export function checkDNS1123Preconditions(name: string): Err {
  if (name.length > 255) return goErr(`domain name ${goQuote(name)} too long (max 255)`);
  if (name.length === 0) return goErr('empty domain name not allowed');
  return undefined;
}

export function validateDNS1123Labels(domain: string): Err {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(tld)) return goErr(`domain name ${goQuote(domain)} invalid (top level domain ${goQuote(tld)} cannot be all-numeric)`);
  for (let i = 0; i < parts.length; i++) {
    // A trailing dot is allowed, for unambiguous names like `istio.io.`.
    if (i === parts.length - 1 && parts[i] === '') return undefined;
    if (!isIstioDNSLabel(parts[i]!)) return goErr(`domain name ${goQuote(domain)} invalid (label ${goQuote(parts[i]!)} invalid)`);
  }
  return undefined;
}

export function validateFQDN(fqdn: string): Err {
  return checkDNS1123Preconditions(fqdn) ?? validateDNS1123Labels(fqdn);
}

/** Wildcards only in the first label. */
export function validateWildcardDomain(domain: string): Err {
  const pre = checkDNS1123Preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardDNSLabel(first)) return goErr(`domain name ${goQuote(domain)} invalid (label ${goQuote(first)} invalid)`);
  return dot < 0 ? undefined : validateDNS1123Labels(domain.slice(dot + 1));
}

export function validatePartialWildcard(host: string): Err {
  if (host.includes('*') && host.length !== 1 && !host.startsWith('*.')) return goErr(`partial wildcard ${goQuote(host)} not allowed`);
  return undefined;
}

export function validatePort(port: number): Err {
  if (port >= 1 && port <= 65535) return undefined;
  return goErr(`port number ${port} must be in the range 1..65535`);
}

export function validatePercent(val: number): Err {
  if (val < 0 || val > 100) return goErr(`percentage ${val} is not in range 0..100`);
  return undefined;
}

/** Go's %v of a float64: shortest form, exponent below 1e-4 or from 1e21. */
export function goFloat(v: number): string {
  if (v !== 0 && (Math.abs(v) < 1e-4 || Math.abs(v) >= 1e21)) {
    const [m, e] = v.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

/** Go's %f: six decimals. */
export function goFixed(v: number): string {
  return v.toFixed(6);
}

/** A networking.Percent: neither 0, nor in [0.0001, 100]. */
export function validatePercentage(percentage: unknown): Err {
  if (!isObject(percentage)) return undefined;
  const v = num(percentage.value);
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) return goErr(`percentage ${goFloat(v)} is neither 0.0, nor in range [0.0001, 100.0]`);
  return undefined;
}

/** agent.ValidateDuration; durations the CRD schema refuses never get here. */
export function validateDuration(text: unknown): Err {
  const ms = typeof text === 'string' ? parseGoDuration(text) : undefined;
  if (ms === undefined || ms < 1) return goErr('duration must be greater than 1ms');
  if (!Number.isInteger(Math.round(ms * 1e6) / 1e6)) return goErr('only durations to ms precision are supported');
  return undefined;
}

/** labels.Instance.Validate: every bad key and value, as a list. */
export function validateLabels(labels: unknown): Err {
  let errs: Err;
  for (const [k, v] of Object.entries(obj(labels))) {
    const m = LABEL_KEY.exec(k);
    if (!m) errs = multiAppend(errs, goErr(`invalid tag key: ${goQuote(k)}`));
    else if (m[1] && m[1].length - 1 > 253) errs = multiAppend(errs, goErr(`invalid tag key: ${goQuote(k)} (DNS prefix is too long)`));
    else if (m[2]!.length > 63) errs = multiAppend(errs, goErr(`invalid tag key: ${goQuote(k)} (name is too long)`));
    if (!LABEL_VALUE.test(str(v))) errs = multiAppend(errs, goErr(`invalid tag value: ${goQuote(str(v))}`));
  }
  return errs;
}

function visibilityError(v: string): Err {
  if (v === '.' || v === '*') return undefined;
  if (v === '~') return goErr('exportTo ~ (none) is not allowed for Istio configuration objects');
  if (!isIstioDNSLabel(v)) return goErr('only .,*, or a valid DNS 1123 label is allowed as exportTo entry');
  return undefined;
}

export function validateExportTo(namespace: string, exportTo: string[], isServiceEntry: boolean, isDestinationRuleWithSelector: boolean): Err {
  let errs: Err;
  if (exportTo.length === 0) return errs;
  const seen = new Set<string>();
  for (const e of exportTo) {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      errs = appendErrors(errs, goErr(key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${e}`));
    } else if (isServiceEntry && e === '~') {
      seen.add(key);
    } else {
      const err = visibilityError(key);
      if (err) errs = appendErrors(errs, err);
      else seen.add(key);
    }
  }
  if (isDestinationRuleWithSelector && seen.size > 0) {
    if (seen.has(namespace)) {
      if (seen.size > 1) errs = appendErrors(errs, goErr('destination rule with workload selector cannot have multiple entries in exportTo'));
    } else {
      errs = appendErrors(errs, goErr('destination rule with workload selector cannot have exportTo beyond current namespace'));
    }
  }
  if (seen.has('*') && exportTo.length > 1) errs = appendErrors(errs, goErr('cannot have both public (*) and non-public exportTo values for a resource'));
  if (seen.has('~') && exportTo.length > 1) errs = appendErrors(errs, goErr('cannot export service entry to no one (~) and someone'));
  return errs;
}

/** host.Name.Matches: wildcards match by suffix, either way. */
export function hostMatches(a: string, b: string): boolean {
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** netip.ParseAddr's acceptance, without zones. */
export function isIPAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

export function validateIPAddress(addr: string): Err {
  return isIPAddress(addr) ? undefined : goErr(`${addr} is not a valid IP`);
}

export function validateIPSubnet(subnet: string): Err {
  if (subnet.split('/').length === 2) {
    const [ip, bits] = subnet.split('/') as [string, string];
    const max = ip.includes(':') ? 128 : 32;
    const ok = isIPAddress(ip) && /^\d+$/.test(bits) && Number(bits) <= max;
    return ok ? undefined : goErr(`${subnet} is not a valid CIDR block`);
  }
  return validateIPAddress(subnet);
}

export function validateSubsetName(name: string): Err {
  if (name === '') return goErr('subset name cannot be empty');
  return isIstioDNSLabel(name) ? undefined : goErr(`subset name is invalid: ${name}`);
}

export function validatePortName(name: string): Err {
  return isIstioDNSLabel(name) ? undefined : goErr(`invalid port name: ${name}`);
}

export function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : [];
}

export function objects(v: unknown): (JsonObject | null)[] {
  return Array.isArray(v) ? v.map((x) => (isObject(x) ? x : null)) : [];
}
