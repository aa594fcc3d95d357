import type { FieldError, KObject } from '../types.js';
import { child, forbidden, GoValue, goStringSlice, index, invalid, notSupported, required } from './field.js';
import { validateLabelSelector } from './labels.js';
import { arr, isObject, obj, type JsonObject } from './json.js';
import { CIDR_ERROR, isValidCIDR, isValidPortName, isValidPortNum } from './names.js';

// NetworkPolicy rules from pkg/apis/networking/validation.

export function validateNetworkPolicy(np: KObject): FieldError[] {
  const spec = obj(np.spec);
  const errs = validateLabelSelector(spec.podSelector, child('spec', 'podSelector'));
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    arr(spec[dir]).forEach((raw: unknown, i: number) => {
      const rule = obj(raw);
      const rp = index(child('spec', dir), i);
      arr(rule.ports).forEach((p: unknown, j: number) => errs.push(...validatePort(p, index(child(rp, 'ports'), j))));
      arr(rule[peers]).forEach((p: unknown, j: number) => errs.push(...validatePeer(p, index(child(rp, peers), j))));
    });
  }
  const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  if (types.length > 2) {
    errs.push(invalid(child('spec', 'policyTypes'), new GoValue('&' + goStringSlice(types.map(String), 'networking.PolicyType')), 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(index(child('spec', 'policyTypes'), i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

function validatePort(raw: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = obj(raw);
  if (p.protocol !== undefined && p.protocol !== null && !(typeof p.protocol === 'string' && ['TCP', 'UDP', 'SCTP'].includes(p.protocol))) {
    errs.push(notSupported(child(path, 'protocol'), p.protocol, ['TCP', 'UDP', 'SCTP']));
  }
  const port = p.port;
  const endPort = p.endPort;
  if (typeof port === 'number') {
    for (const m of isValidPortNum(port)) errs.push(invalid(child(path, 'port'), port, m));
    if (typeof endPort === 'number') {
      if (endPort < port) errs.push(invalid(child(path, 'endPort'), endPort, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(endPort)) errs.push(invalid(child(path, 'endPort'), endPort, m));
    }
  } else if (typeof port === 'string') {
    if (endPort !== undefined && endPort !== null) errs.push(invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(port)) errs.push(invalid(child(path, 'port'), port, m));
  } else if (endPort !== undefined && endPort !== null) {
    errs.push(invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validatePeer(raw: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const peer = obj(raw);
  let n = 0;
  if (isObject(peer.podSelector)) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, child(path, 'podSelector')));
  }
  if (isObject(peer.namespaceSelector)) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector')));
  }
  if (isObject(peer.ipBlock)) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, child(path, 'ipBlock')));
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && isObject(peer.ipBlock)) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validateIPBlock(b: JsonObject, path: string): FieldError[] {
  const cidr = typeof b.cidr === 'string' ? b.cidr : '';
  if (!cidr) return [required(child(path, 'cidr'), '')];
  if (!isValidCIDR(cidr)) return [invalid(child(path, 'cidr'), cidr, CIDR_ERROR)];
  const errs: FieldError[] = [];
  arr(b.except).forEach((e: unknown, i: number) => {
    const s = String(e);
    if (!isValidCIDR(s)) errs.push(invalid(index(child(path, 'except'), i), s, CIDR_ERROR));
  });
  return errs;
}
