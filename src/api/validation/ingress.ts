import type { FieldError, KObject } from '../types.js';
import { child, forbidden, GoValue, index, invalid, notSupported, required, tooLong } from './field.js';
import { arr, isObject, obj, type JsonObject } from './json.js';
import { validateImmutable } from './meta.js';
import {
  httpPathError, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPathSegmentName, isValidPortName,
  isValidPortNum, isWildcardDNS1123Subdomain,
} from './names.js';

// Ingress and IngressClass rules from pkg/apis/networking/validation.

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function validateIngress(ing: KObject, old?: KObject): FieldError[] {
  const spec = obj(ing.spec);
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  // Stored objects that predate a rule keep passing it on update, as upstream's options allow.
  const allowInvalidSecretName = !!oldSpec && arr(oldSpec.tls).map(obj).some((t) => t.secretName && isDNS1123Subdomain(String(t.secretName)).length > 0);
  const allowInvalidWildcardRule = !!oldSpec && arr(oldSpec.rules).some((r) => String(obj(r).host ?? '').includes('*') && validateRuleValue(r, '').length > 0);
  const errs = validateIngressSpec(spec, 'spec', allowInvalidSecretName, allowInvalidWildcardRule);
  const cls = ing.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (!old && cls !== undefined && typeof spec.ingressClassName === 'string' && cls !== spec.ingressClassName) {
    errs.push(invalid(child('annotations', INGRESS_CLASS_ANNOTATION), cls, 'must match `ingressClassName` when both are specified'));
  }
  return errs;
}

function validateIngressSpec(spec: JsonObject, path: string, allowInvalidSecretName: boolean, allowInvalidWildcardRule: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isObject(spec.defaultBackend)) {
    errs.push(invalid(path, new GoValue(Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)'), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (isObject(spec.defaultBackend)) errs.push(...validateBackend(spec.defaultBackend, child(path, 'defaultBackend')));
  rules.forEach((r, i) => {
    const rp = index(child(path, 'rules'), i);
    const rawHost = obj(r).host;
    const host = typeof rawHost === 'string' ? rawHost : '';
    let wildcard = false;
    if (host) {
      if (isValidIP(host)) errs.push(invalid(child(rp, 'host'), host, 'must be a DNS name, not an IP address'));
      if (host.includes('*')) {
        for (const m of isWildcardDNS1123Subdomain(host)) errs.push(invalid(child(rp, 'host'), host, m));
        wildcard = true;
      } else {
        for (const m of isDNS1123Subdomain(host)) errs.push(invalid(child(rp, 'host'), host, m));
      }
    }
    if (!wildcard || !allowInvalidWildcardRule) errs.push(...validateRuleValue(r, rp));
  });
  arr(spec.tls).map(obj).forEach((t, ti) => {
    const tp = index(child(path, 'tls'), ti);
    arr(t.hosts).forEach((h, hi) => {
      const host = String(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(index(child(tp, 'hosts'), hi), host, m));
    });
    if (!allowInvalidSecretName && typeof t.secretName === 'string' && t.secretName) {
      for (const m of isDNS1123Subdomain(t.secretName)) errs.push(invalid(child(tp, 'secretName'), t.secretName, m));
    }
  });
  if (typeof spec.ingressClassName === 'string') {
    for (const m of isDNS1123Subdomain(spec.ingressClassName)) errs.push(invalid(child(path, 'ingressClassName'), spec.ingressClassName, m));
  }
  return errs;
}

function validateRuleValue(rule: unknown, path: string): FieldError[] {
  const http = obj(rule).http;
  if (!isObject(http)) return [];
  const hp = child(path, 'http');
  const paths = arr(http.paths);
  const errs: FieldError[] = [];
  if (paths.length === 0) errs.push(required(child(hp, 'paths'), ''));
  paths.forEach((p, i) => errs.push(...validateHTTPPath(p, index(child(hp, 'paths'), i))));
  return errs;
}

function validateHTTPPath(raw: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = obj(raw);
  const pathType = p.pathType;
  if (pathType === undefined || pathType === null) return [required(child(path, 'pathType'), 'pathType must be specified')];
  const value = typeof p.path === 'string' ? p.path : '';
  switch (pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(invalid(child(path, 'path'), value, 'must be an absolute path'));
      if (value.length > 0) {
        for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(invalid(child(path, 'path'), value, `must not contain '${seq}'`));
        for (const suf of INVALID_PATH_SUFFIXES) if (value.endsWith(suf)) errs.push(invalid(child(path, 'path'), value, `cannot end with '${suf}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/')) errs.push(invalid(child(path, 'path'), value, 'must be an absolute path'));
      break;
    default:
      errs.push(notSupported(child(path, 'pathType'), pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(p.backend, child(path, 'backend')));
  return errs;
}

function validateBackend(raw: unknown, path: string): FieldError[] {
  const { resource, service: svc } = obj(raw);
  const hasResource = isObject(resource);
  const hasService = isObject(svc);
  if (hasResource && hasService) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) return validateTypedLocalObjectReference(resource, child(path, 'resource'));
  if (!hasService) return [invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = typeof svc.name === 'string' ? svc.name : '';
  if (!name) errs.push(required(child(path, 'service', 'name'), ''));
  else for (const m of isDNS1035Label(name)) errs.push(invalid(child(path, 'service', 'name'), name, m));
  const port = obj(svc.port);
  const portName = typeof port.name === 'string' ? port.name : '';
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of isValidPortName(portName)) errs.push(invalid(child(path, 'service', 'port', 'name'), portName, m));
  else if (portNumber) for (const m of isValidPortNum(portNumber)) errs.push(invalid(child(path, 'service', 'port', 'number'), portNumber, m));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validateTypedLocalObjectReference(ref: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof ref.apiGroup === 'string') for (const m of isDNS1123Subdomain(ref.apiGroup)) errs.push(invalid(child(path, 'apiGroup'), ref.apiGroup, m));
  for (const f of ['kind', 'name']) {
    const v = typeof ref[f] === 'string' ? ref[f] : '';
    if (!v) errs.push(required(child(path, f), ''));
    else for (const m of isValidPathSegmentName(v)) errs.push(invalid(child(path, f), v, m));
  }
  return errs;
}

export function validateIngressClass(ic: KObject, old?: KObject): FieldError[] {
  const spec = obj(ic.spec);
  const errs: FieldError[] = [];
  const controller = typeof spec.controller === 'string' ? spec.controller : '';
  const cp = child('spec', 'controller');
  if (old) errs.push(...validateImmutable(controller, String(obj(old.spec).controller ?? ''), cp));
  if (!controller) errs.push(required(cp, ''));
  else {
    if (Buffer.byteLength(controller) > 250) errs.push(tooLong(cp, 250));
    errs.push(...validateDomainPrefixedPath(controller, cp));
  }
  const params = spec.parameters;
  if (isObject(params)) {
    const pp = child('spec', 'parameters');
    errs.push(...validateTypedLocalObjectReference(params, pp));
    const scope = params.scope;
    if (scope === undefined || scope === null) errs.push(required(child(pp, 'scope'), ''));
    else if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(notSupported(child(pp, 'scope'), scope, ['Cluster', 'Namespace']));
    else if (scope === 'Namespace') {
      if (typeof params.namespace !== 'string') errs.push(required(child(pp, 'namespace'), "`parameters.scope` is set to 'Namespace'"));
      else for (const m of isDNS1123Label(params.namespace)) errs.push(invalid(child(pp, 'namespace'), params.namespace, m));
    } else if (params.namespace !== undefined && params.namespace !== null) {
      errs.push(forbidden(child(pp, 'namespace'), "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

function validateDomainPrefixedPath(v: string, path: string): FieldError[] {
  const segs = v.split('/');
  const host = segs[0];
  const rest = segs.slice(1).join('/');
  if (segs.length < 2 || !host || !rest) return [invalid(path, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((m) => invalid(path, host, m));
  const pathErr = httpPathError(rest);
  if (pathErr) errs.push(invalid(path, rest, pathErr));
  return errs;
}

