import type { FieldError, KObject } from '../types.js';
import { child, duplicate, forbidden, GoValue, goQuote, goStringSlice, index, invalid, notSupported, required } from './field.js';
import { validateLabels } from './labels.js';
import { arr, isObject, isOneOf, obj, type JsonObject } from './json.js';
import { CIDR_ERROR, IP_ERROR, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isValidIPv4, isValidPortNum } from './names.js';
import { SUPPORTED_PORT_PROTOCOLS, validatePortNumOrName } from './pod.js';

// Service rules from ValidateService / ValidateServiceUpdate (pkg/apis/core/validation).

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

/** The default --service-node-port-range. */
export const NODE_PORT_RANGE = { base: 30000, size: 2768 };

/** The allocator's message for a requested nodePort outside the range. */
export function nodePortRangeMessage(range = NODE_PORT_RANGE): string {
  return `provided port is not in the valid range. The range of valid ports is ${range.base}-${range.base + range.size - 1}`;
}

function isHeadless(spec: JsonObject): boolean {
  return spec.clusterIP === 'None' || (Array.isArray(spec.clusterIPs) && spec.clusterIPs[0] === 'None');
}

function externallyAccessible(spec: JsonObject): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
}

export function validateService(svc: KObject, old?: KObject): FieldError[] {
  const spec = obj(svc.spec);
  const sp = 'spec';
  const errs: FieldError[] = [];
  const ports = arr(spec.ports).map(obj);
  const clusterIPs = arr(spec.clusterIPs);
  if (old) errs.push(...validateServiceUpdate(spec, obj(old.spec)));

  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') errs.push(required(child(sp, 'ports'), ''));
  switch (spec.type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (isHeadless(spec)) errs.push(invalid(index(child(sp, 'clusterIPs'), 0), 'None', `may not be set to 'None' for ${spec.type} services`));
      break;
    case 'ExternalName': {
      if (clusterIPs.length > 0) errs.push(forbidden(child(sp, 'clusterIPs'), 'may not be set for ExternalName services'));
      if (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0) errs.push(forbidden(child(sp, 'ipFamilies'), 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(forbidden(child(sp, 'ipFamilyPolicy'), 'may not be set for ExternalName services'));
      const cname = String(spec.externalName ?? '').replace(/\.$/, '');
      if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid(child(sp, 'externalName'), cname, m));
      else errs.push(required(child(sp, 'externalName'), ''));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index(child(sp, 'ports'), i))));
  if (isObject(spec.selector)) errs.push(...validateLabels(spec.selector, child(sp, 'selector')));

  if (!spec.sessionAffinity) errs.push(required(child(sp, 'sessionAffinity'), ''));
  else if (!isOneOf(spec.sessionAffinity, SESSION_AFFINITIES)) errs.push(notSupported(child(sp, 'sessionAffinity'), spec.sessionAffinity, SESSION_AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    const p = child(sp, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds');
    if (typeof t !== 'number') errs.push(required(p, ''));
    else if (t <= 0 || t > 86400) errs.push(invalid(p, t, 'must be greater than 0 and less than 86400'));
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden(child(sp, 'sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }

  if (spec.type !== 'ExternalName') errs.push(...validateClusterIPFields(spec));
  arr(spec.externalIPs).forEach((ip: unknown, i: number) => {
    if (!isValidIP(String(ip))) errs.push(invalid(index(child(sp, 'externalIPs'), i), ip, IP_ERROR));
  });

  if (!spec.type) errs.push(required(child(sp, 'type'), ''));
  else if (!isOneOf(spec.type, SERVICE_TYPES)) errs.push(notSupported(child(sp, 'type'), spec.type, SERVICE_TYPES));

  ports.forEach((p, i) => {
    const np = p.nodePort;
    if (!np) return;
    const path = child(index(child(sp, 'ports'), i), 'nodePort');
    if (spec.type === 'ClusterIP') errs.push(forbidden(path, "may not be used when `type` is 'ClusterIP'"));
    else if (typeof np !== 'number' || np < NODE_PORT_RANGE.base || np >= NODE_PORT_RANGE.base + NODE_PORT_RANGE.size) errs.push(invalid(path, np, nodePortRangeMessage()));
  });
  const seenNodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol}/${p.nodePort}`;
    if (seenNodePorts.has(k)) errs.push(duplicate(child(index(child(sp, 'ports'), i), 'nodePort'), p.nodePort));
    seenNodePorts.add(k);
  });
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (seenPorts.has(k)) errs.push(duplicate(index(child(sp, 'ports'), i), goServicePortKey(p)));
    seenPorts.add(k);
  });

  if (Array.isArray(spec.loadBalancerSourceRanges) && spec.loadBalancerSourceRanges.length > 0) {
    const fp = child(sp, 'LoadBalancerSourceRanges');
    if (spec.type !== 'LoadBalancer') errs.push(forbidden(fp, "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges.forEach((r: unknown, i: number) => {
      const v = String(r).trim();
      if (!isValidCIDR(v)) errs.push(invalid(index(fp, i), v, CIDR_ERROR));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && spec.type !== 'LoadBalancer') {
    errs.push(forbidden(child(sp, 'allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(required('allocateLoadBalancerNodePorts', ''));
  }

  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) errs.push(invalid(child(sp, 'externalTrafficPolicy'), spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required(child(sp, 'externalTrafficPolicy'), ''));
  } else if (!isOneOf(spec.externalTrafficPolicy, TRAFFIC_POLICIES)) {
    errs.push(notSupported(child(sp, 'externalTrafficPolicy'), spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  const needsHealthCheck = spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
  if (!needsHealthCheck && spec.healthCheckNodePort) {
    errs.push(invalid(child(sp, 'healthCheckNodePort'), spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) {
    if (isOneOf(spec.type, ['NodePort', 'LoadBalancer', 'ClusterIP'])) errs.push(required(child(sp, 'internalTrafficPolicy'), ''));
  } else if (!isOneOf(spec.internalTrafficPolicy, TRAFFIC_POLICIES)) {
    errs.push(notSupported(child(sp, 'internalTrafficPolicy'), spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== null && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported(child(sp, 'trafficDistribution'), spec.trafficDistribution, ['PreferClose']));
  }
  return errs;
}

function validateServicePort(p: JsonObject, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof p.name === 'string' ? p.name : '';
  if (requireName && !name) errs.push(required(child(path, 'name'), ''));
  else if (name) {
    for (const m of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  for (const m of isValidPortNum(p.port)) errs.push(invalid(child(path, 'port'), p.port ?? 0, m));
  if (!p.protocol) errs.push(required(child(path, 'protocol'), ''));
  else if (!isOneOf(p.protocol, SUPPORTED_PORT_PROTOCOLS)) errs.push(notSupported(child(path, 'protocol'), p.protocol, SUPPORTED_PORT_PROTOCOLS));
  errs.push(...validatePortNumOrName(p.targetPort, child(path, 'targetPort')));
  if (typeof p.appProtocol === 'string') for (const m of isQualifiedName(p.appProtocol)) errs.push(invalid(child(path, 'appProtocol'), p.appProtocol, m));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields, for a single-stack IPv4 cluster. */
function validateClusterIPFields(spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const sp = 'spec';
  const clusterIPs: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(String) : [];
  const policy = spec.ipFamilyPolicy;
  const families: string[] = Array.isArray(spec.ipFamilies) ? spec.ipFamilies.map(String) : [];
  if (spec.clusterIP && clusterIPs.length === 0) {
    errs.push(required(child(sp, 'clusterIPs'), ''));
  } else if (clusterIPs.length > 0 && (spec.clusterIP ?? '') !== clusterIPs[0]) {
    errs.push(invalid(child(sp, 'clusterIPs'), new GoValue(goStringSlice(clusterIPs)), 'first value must match `clusterIP`'));
  }
  if (policy !== undefined && policy !== null && !isOneOf(policy, IP_FAMILY_POLICIES)) {
    errs.push(notSupported(child(sp, 'ipFamilyPolicy'), policy, IP_FAMILY_POLICIES));
  }
  if (clusterIPs.length > 2) errs.push(invalid(child(sp, 'clusterIPs'), new GoValue(goStringSlice(clusterIPs)), 'may only hold up to 2 values'));
  if (families.length > 2) errs.push(invalid(child(sp, 'ipFamilies'), new GoValue(goStringSlice(families, 'core.IPFamily')), 'may only hold up to 2 values'));
  const seenFamilies = new Set<string>();
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(index(child(sp, 'ipFamilies'), i), f, IP_FAMILIES));
    if (seenFamilies.has(f)) errs.push(duplicate(index(child(sp, 'ipFamilies'), i), f));
    seenFamilies.add(f);
  });
  clusterIPs.forEach((ip, i) => {
    const p = index(child(sp, 'clusterIPs'), i);
    if (ip === 'None') {
      if (i !== 0 || clusterIPs.length > 1) errs.push(invalid(child(sp, 'clusterIPs'), new GoValue(goStringSlice(clusterIPs)), "'None' must be the first and only value"));
      return;
    }
    if (!isValidIP(ip)) errs.push(invalid(p, ip, IP_ERROR));
    else if (families[i] && families[i] !== (isValidIPv4(ip) ? 'IPv4' : 'IPv6')) {
      errs.push(invalid(p, ip, `expected an ${families[i]} value as indicated by \`ipFamilies[${i}]\``));
    }
  });
  if (policy === 'SingleStack' && clusterIPs.length > 1) {
    errs.push(invalid(child(sp, 'clusterIPs'), new GoValue(goStringSlice(clusterIPs)), "must be at most one value when `ipFamilyPolicy` is 'SingleStack'"));
  }
  return errs;
}

function validateServiceUpdate(spec: JsonObject, oldSpec: JsonObject): FieldError[] {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  const ips = arr(spec.clusterIPs);
  const oldIPs = arr(oldSpec.clusterIPs);
  if (ips.length > 0 && oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
    return [invalid(index(child('spec', 'clusterIPs'), 0), new GoValue(goStringSlice(ips.map(String))), 'may not change once set')];
  }
  return [];
}

/** The core.ServicePort key upstream prints for duplicate (protocol, port) pairs. */
function goServicePortKey(p: JsonObject): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(String(p.protocol ?? ''))}, AppProtocol:(*string)(nil), Port:${Number(p.port ?? 0)}, ` +
      'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  );
}
