import type { KObject } from '../types.js';
import { goErr, goQuote, Validation } from './istio-errors.js';
import {
  isHTTPProtocol, isIPAddress, isTCPProtocol, isTLSProtocol, num, objects, parseProtocol, strings, validateExportTo,
  validateFQDN, validateIPSubnet, validateLabels, validatePartialWildcard, validatePort, validatePortName, validateWildcardDomain,
} from './istio-common.js';
import { isObject, obj, str } from './json.js';

// ValidateServiceEntry (pkg/config/validation/validation.go, Istio 1.26): hosts, addresses, ports, and
// the endpoints each resolution allows.

function validateProtocol(p: string) {
  // An empty protocol asks for sniffing.
  return p !== '' && parseProtocol(p) === 'UnsupportedProtocol' ? goErr(`unsupported protocol: ${p}`) : undefined;
}

/** validateWorkloadEntry for the endpoints of a STATIC entry. */
function validateStaticEndpoint(ep: Record<string, unknown>, servicePorts: Set<string>): Validation {
  const v = new Validation();
  const addr = str(ep.address);
  if (addr === '' && !str(ep.network)) v.error('address is required');
  else if (addr.startsWith('unix://')) {
    if (Object.keys(obj(ep.ports)).length > 0) v.error('unix endpoint unix:// must not include ports');
  } else if (addr !== '' && !isIPAddress(addr)) {
    v.error(`endpoint address ${goQuote(addr)} is not a valid IP address`);
  }
  v.add(validateLabels(ep.labels));
  for (const [name, port] of Object.entries(obj(ep.ports))) {
    if (servicePorts.size > 0 && !servicePorts.has(name)) v.error(`endpoint port ${num(port)} is not defined by the service entry`);
    v.add(validatePortName(name), validatePort(num(port)));
  }
  return v;
}

export function validateServiceEntry(se: KObject): Validation {
  const spec = obj(se.spec);
  const v = new Validation();
  const selector = isObject(spec.workloadSelector) ? spec.workloadSelector : undefined;
  if (selector) {
    for (const [k, val] of Object.entries(obj(selector.labels))) {
      if (k === '') return v.error(`empty key is not supported in selector: ${goQuote(`${k}=${str(val)}`)}`);
      if (k.includes('*') || str(val).includes('*')) return v.error(`wildcard is not supported in selector: ${goQuote(`${k}=${str(val)}`)}`);
    }
    if (Object.keys(obj(selector.labels)).length === 0) v.warn('service entry: workload selector specified without labels, will be applied to all services in namespace');
  }
  if (selector && spec.endpoints !== undefined) v.error('only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  const resolution = str(spec.resolution) || 'NONE';
  const hosts = strings(spec.hosts);
  if (hosts.length === 0) v.error('service entry must have at least one host');
  for (const h of hosts) {
    if (h === '*') v.error(`invalid host ${h}`);
    else {
      v.add(validateWildcardDomain(h));
      const w = validatePartialWildcard(h);
      if (w) v.warn(w.msgs[0]!);
    }
  }
  const addresses = strings(spec.addresses);
  let cidr = false;
  for (const a of addresses) {
    cidr ||= a.includes('/');
    v.add(validateIPSubnet(a));
  }
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') v.error('CIDR addresses are allowed only for NONE/STATIC resolution types');
  const ports = objects(spec.ports);
  // Istio 1.26 allocates addresses itself (PILOT_ENABLE_IP_AUTOALLOCATE) unless resolution is NONE or the entry opts out.
  const autoAllocation = resolution !== 'NONE' && se.metadata.labels?.['networking.istio.io/enable-autoallocate-ip']?.toLowerCase() !== 'false' && addresses.length === 0;
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  for (const p of ports) {
    if (!p) {
      v.error('service entry port may not be null');
      continue;
    }
    const name = str(p.name);
    if (portNames.has(name)) v.error(`service entry port name ${goQuote(name)} already defined`);
    portNames.add(name);
    if (portNumbers.has(num(p.number))) v.error(`service entry port ${num(p.number)} already defined`);
    portNumbers.add(num(p.number));
    if (num(p.targetPort) !== 0) v.add(validatePort(num(p.targetPort)));
    if (addresses.length === 0 && !autoAllocation && (str(p.protocol) === '' || str(p.protocol) === 'TCP')) {
      v.warn('addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled');
    }
    v.add(validatePortName(name), validateProtocol(str(p.protocol)), validatePort(num(p.number)));
  }
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints : [];
  switch (resolution) {
    case 'NONE':
      if (endpoints.length !== 0) v.error('no endpoints should be provided for resolution type none');
      if (selector) v.warn('workloadSelector should not be set when resolution mode is NONE');
      break;
    case 'STATIC':
      for (const ep of endpoints) {
        if (!isObject(ep)) v.error('endpoint cannot be nil');
        else v.add(validateStaticEndpoint(ep, portNames));
      }
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0) {
        for (const h of hosts) if (validateFQDN(h)) v.error(`hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) v.error(`there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
      for (const ep of endpoints) {
        if (!isObject(ep)) {
          v.error('endpoint cannot be nil');
          continue;
        }
        const addr = str(ep.address);
        if (!isIPAddress(addr) && validateFQDN(addr)) v.error(`endpoint address ${goQuote(addr)} is not a valid FQDN or an IP address`);
        v.add(validateLabels(ep.labels));
        for (const [name, port] of Object.entries(obj(ep.ports))) {
          if (!portNames.has(name)) v.error(`endpoint port ${num(port)} is not defined by the service entry`);
          v.add(validatePortName(name), validatePort(num(port)));
        }
      }
      if (addresses.length > 0 && hosts.length > 1 && ports.some((p) => p && isTCPProtocol(parseProtocol(str(p.protocol))))) {
        v.warn('service entry can not have more than one host specified simultaneously with address and tcp port');
      }
      break;
    default:
      v.error(`unsupported resolution type ${resolution}`);
  }
  if (resolution !== 'NONE' && hosts.length > 1) {
    for (const p of ports) {
      if (!p) continue;
      const proto = parseProtocol(str(p.protocol));
      if (!isHTTPProtocol(proto) && !isTLSProtocol(proto)) {
        v.error('multiple hosts provided with non-HTTP, non-TLS ports');
        break;
      }
    }
  }
  return v.add(validateExportTo(se.metadata.namespace ?? '', strings(spec.exportTo), true, false));
}
