import type { FieldError, KObject } from '../types.js';
import { child, index, invalid, notSupported, required, tooMany } from './field.js';
import { arr, isObject, obj } from './json.js';
import { validateImmutable } from './meta.js';
import { IP_ERROR, isDNS1123Label, isDNS1123Subdomain, isValidIPv4, isValidIPv6, isValidPortNum } from './names.js';
import { validateProtocol } from './pod.js';

// EndpointSlice (discovery.k8s.io/v1) rules from pkg/apis/discovery/validation.

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;
const MAX_ADDRESSES = 100;

export function validateEndpointSlice(slice: KObject, old?: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = slice.addressType;
  if (!type) errs.push(required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(type as string)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = arr(slice.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((raw, i) => {
    const ep = obj(raw);
    const ep0 = index('endpoints', i);
    const addrs = arr(ep.addresses);
    if (addrs.length === 0) errs.push(required(child(ep0, 'addresses'), 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(child(ep0, 'addresses'), addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      const s = String(a);
      const p = index(child(ep0, 'addresses'), j);
      if (type === 'IPv4' && !isValidIPv4(s)) errs.push(invalid(p, s, IP_ERROR));
      if (type === 'IPv6' && !isValidIPv6(s)) errs.push(invalid(p, s, IP_ERROR));
      if (type === 'FQDN') for (const m of isDNS1123Subdomain(s)) errs.push(invalid(p, s, m));
    });
    if (typeof ep.hostname === 'string' && ep.hostname) for (const m of isDNS1123Label(ep.hostname)) errs.push(invalid(child(ep0, 'hostname'), ep.hostname, m));
    if (isObject(ep.targetRef) && ep.targetRef.name === '') errs.push(required(child(ep0, 'targetRef', 'name'), ''));
  });
  const ports = arr(slice.ports);
  if (ports.length > MAX_PORTS) errs.push(tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const p = obj(raw);
    const pp = index('ports', i);
    const name = typeof p.name === 'string' ? p.name : '';
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(child(pp, 'name'), name, m));
    if (names.has(name)) errs.push({ type: 'FieldValueDuplicate', field: child(pp, 'name'), value: name, detail: '' });
    names.add(name);
    if (p.protocol !== undefined) errs.push(...validateProtocol(p.protocol, child(pp, 'protocol')));
    if (p.port !== undefined && p.port !== null) for (const m of isValidPortNum(p.port)) errs.push(invalid(child(pp, 'port'), p.port, m));
  });
  if (old) errs.push(...validateImmutable(slice.addressType ?? '', old.addressType ?? '', 'addressType'));
  return errs;
}
