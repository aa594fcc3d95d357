import type { KObject } from '../types.js';
import { appendErrors, goErr, goQuote, multiAppend, Validation, type Err } from './istio-errors.js';
import {
  goFixed, hostMatches, isIPAddress, isIstioDNSLabel, num, objects, strings, validateDuration, validateExportTo,
  validateFQDN, validateIPSubnet, validateLabels, validatePercentage, validatePort, validateWildcardDomain,
} from './istio-common.js';
import { headerValueSyntaxError } from './istio-header-value.js';
import { validateStringRegexp } from './istio-regex.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// ValidateVirtualService (pkg/config/validation/validation.go, virtualservice.go, Istio 1.26):
// hosts and gateways, then each HTTP, TLS and TCP route.

const MESH_GATEWAY = 'mesh';
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes',
  'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure', 'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
/** The codes Go's net/http.StatusText knows. */
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407,
  408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);
const GRPC_STATUS = new Set(['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED']);

const isJwtClaim = (name: string) => name.startsWith('@request.auth.claims.');
const isInternalHeader = (k: string) => k.startsWith(':') || k.toLowerCase() === 'host';
const isAuthorityHeader = (k: string) => k.toLowerCase() === ':authority' || k.toLowerCase() === 'host';

function headerNameOrClaim(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (isJwtClaim(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return HEADER_TOKEN.test(name) ? undefined : goErr(`header name ${name} is not a valid header name`);
}

function headerWithAuthorityOperation(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (isInternalHeader(name) && !isAuthorityHeader(name)) return goErr(`invalid header ${goQuote(name)}: header cannot have ":" prefix`);
  return undefined;
}

function headerOperation(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (name.toLowerCase() === 'host') return goErr(`invalid header ${goQuote(name)}: cannot set Host header`);
  if (isInternalHeader(name)) return goErr(`invalid header ${goQuote(name)}: header cannot have ":" prefix`);
  return undefined;
}

function headerValue(value: string): Err {
  if (!HEADER_VALUE.test(value)) return goErr(`header value configuration ${value} is invalid`);
  const syntax = headerValueSyntaxError(value);
  return syntax ? goErr(`header value configuration: ${syntax}`) : undefined;
}

/** The request and response header operations of a route or a destination, in Istio's order. */
function headerOperations(headers: unknown): Err[] {
  const out: Err[] = [];
  const request = obj(obj(headers).request);
  const response = obj(obj(headers).response);
  for (const [n, v] of Object.entries(obj(request.add))) out.push(headerWithAuthorityOperation(n), headerValue(str(v)));
  for (const [n, v] of Object.entries(obj(request.set))) out.push(headerWithAuthorityOperation(n), headerValue(str(v)));
  for (const n of strings(request.remove)) out.push(headerOperation(n));
  for (const [n, v] of Object.entries(obj(response.add))) out.push(headerOperation(n), headerValue(str(v)));
  for (const [n, v] of Object.entries(obj(response.set))) out.push(headerOperation(n), headerValue(str(v)));
  for (const n of strings(response.remove)) out.push(headerOperation(n));
  return out;
}

function validateStringMatch(sm: unknown, where: string): Err {
  if (!isObject(sm)) return undefined;
  if ('prefix' in sm && str(sm.prefix) === '') return goErr(`${goQuote(where)}: prefix string match should not be empty`);
  return validateStringMatchRegexp(sm, where);
}

function validateStringMatchRegexp(sm: unknown, where: string): Err {
  if (!isObject(sm) || !('regex' in sm)) return undefined;
  const re = str(sm.regex);
  if (re === '') return goErr(`${goQuote(where)}: regex string match should not be empty`);
  return validateStringRegexp(re, where);
}

function validateGatewayNames(names: string[]): Validation {
  const v = new Validation();
  for (const name of names) {
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.')) {
        const parts = name.split('.');
        v.warn(`using legacy gatewayName format ${goQuote(name)}; prefer the <namespace>/<name> format: ${goQuote(`${parts[1]}/${parts[0]}`)}`);
      }
      return v.add(validateFQDN(name));
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === '' || gw === '') v.error('config namespace and gateway name cannot be empty');
    if (!isIstioDNSLabel(ns)) v.error(`invalid value for namespace: ${goQuote(ns)}`);
    if (!isIstioDNSLabel(gw)) v.error(`invalid value for gateway name: ${goQuote(gw)}`);
  }
  return v;
}

function validateSubsetName(name: string): Err {
  if (name === '') return goErr('subset name cannot be empty');
  return isIstioDNSLabel(name) ? undefined : goErr(`subset name is invalid: ${name}`);
}

function validateDestination(d: unknown): Err {
  if (!isObject(d)) return undefined;
  const host = str(d.host);
  let errs = appendErrors(undefined, host === '*' ? goErr(`invalid destination host ${host}`) : validateWildcardDomain(host));
  if (str(d.subset)) errs = appendErrors(errs, validateSubsetName(str(d.subset)));
  if (isObject(d.port)) errs = appendErrors(errs, validatePort(num(d.port.number)));
  return errs;
}

function validateRouteDestinations(routes: unknown, http: boolean): Err {
  let errs: Err;
  let total = 0;
  const list = objects(routes);
  for (const r of list) {
    if (!r) {
      errs = multiAppend(errs, goErr('weight may not be nil'));
      continue;
    }
    if (!isObject(r.destination)) errs = multiAppend(errs, goErr('destination is required'));
    if (http) errs = appendErrors(errs, ...headerOperations(r.headers));
    errs = appendErrors(errs, validateDestination(r.destination));
    const weight = num(r.weight);
    if (weight < 0) errs = appendErrors(errs, goErr(`weight ${weight} < 0`));
    total += weight;
  }
  if (list.length > 1 && total === 0) errs = appendErrors(errs, goErr('total destination weight = 0'));
  return errs;
}

function validateMatchRequests(route: JsonObject): Err {
  let errs: Err;
  const matches = objects(route.match);
  for (const m of matches) {
    if (!m) continue;
    for (const [name, h] of Object.entries(obj(m.headers))) {
      if (h === null) errs = appendErrors(errs, goErr(`header match ${name} cannot be null`));
      errs = appendErrors(errs, headerNameOrClaim(name), validateStringMatch(h, 'headers'));
    }
    for (const [name, h] of Object.entries(obj(m.withoutHeaders))) {
      errs = appendErrors(errs, headerNameOrClaim(name));
      if (isObject(h) && h.regex !== '*') errs = appendErrors(errs, validateStringMatch(h, 'withoutHeaders'));
    }
    errs = appendErrors(errs, validateStringMatchRegexp(m.uri, 'uri'), validateStringMatch(m.scheme, 'scheme'), validateStringMatch(m.method, 'method'), validateStringMatch(m.authority, 'authority'));
    for (const qp of Object.values(obj(m.queryParams))) errs = appendErrors(errs, validateStringMatch(qp, 'queryParams'));
  }
  for (const m of matches) {
    if (!m) continue;
    if (num(m.port) !== 0) errs = appendErrors(errs, validatePort(num(m.port)));
    errs = appendErrors(errs, validateLabels(m.sourceLabels), validateGatewayNames(strings(m.gateways)));
    const sns = str(m.sourceNamespace);
    if (sns && !isIstioDNSLabel(sns)) errs = appendErrors(errs, goErr(`sourceNamespace match ${sns} is invalid`));
  }
  return errs;
}

function validateRouteConflict(route: JsonObject, delegate: boolean): Err {
  let errs: Err;
  const routes = Array.isArray(route.route) ? route.route.length : 0;
  const name = str(route.name);
  if (!delegate && isObject(route.delegate)) {
    if (route.redirect !== undefined) errs = appendErrors(errs, goErr(`root HTTP route ${name} must not specify redirect`));
    if (route.route !== undefined) errs = appendErrors(errs, goErr(`root HTTP route ${name} must not specify route`));
    return errs;
  }
  if (delegate && isObject(route.delegate)) errs = appendErrors(errs, goErr('delegate HTTP route cannot contain delegate'));
  if (isObject(route.redirect)) {
    if (routes > 0) errs = appendErrors(errs, goErr('HTTP route cannot contain both route and redirect'));
    if (isObject(route.fault)) errs = appendErrors(errs, goErr('HTTP route cannot contain both fault and redirect'));
    if (isObject(route.rewrite)) errs = appendErrors(errs, goErr('HTTP route rule cannot contain both rewrite and redirect'));
    if (isObject(route.directResponse)) errs = appendErrors(errs, goErr('HTTP route rule cannot contain both direct_response and redirect'));
  } else if (isObject(route.directResponse)) {
    if (routes > 0) errs = appendErrors(errs, goErr('HTTP route cannot contain both route and direct_response'));
    if (isObject(route.fault)) errs = appendErrors(errs, goErr('HTTP route cannot contain both fault and direct_response'));
    if (isObject(route.rewrite)) errs = appendErrors(errs, goErr('HTTP route rule cannot contain both rewrite and direct_response'));
  } else if (routes === 0) {
    errs = appendErrors(errs, goErr('HTTP route, redirect or direct_response is required'));
  }
  if (isObject(route.mirror) && Array.isArray(route.mirrors) && route.mirrors.length > 0) errs = appendErrors(errs, goErr('HTTP route cannot contain both mirror and mirrors'));
  return errs;
}

function validateCorsPolicy(policy: unknown): Err {
  if (!isObject(policy)) return undefined;
  let errs: Err;
  for (const origin of objects(policy.allowOrigins)) {
    const o = obj(origin);
    const match = str(o.exact ?? o.prefix ?? o.regex);
    errs = appendErrors(errs, match === '' ? goErr(`'${match}' is not a valid match type for CORS allow origins`) : validateStringMatchRegexp(o, 'corsPolicy.allowOrigins'));
  }
  for (const m of strings(policy.allowMethods)) if (!CORS_METHODS.has(m)) errs = appendErrors(errs, goErr(`${goQuote(m)} is not a supported HTTP method`));
  for (const h of [...strings(policy.allowHeaders), ...strings(policy.exposeHeaders)]) {
    if (h === '') errs = appendErrors(errs, goErr('header name cannot be empty'));
    else if (h !== '*' && !HEADER_TOKEN.test(h)) errs = appendErrors(errs, goErr(`header name ${h} is not a valid header name`));
  }
  if (policy.maxAge !== undefined) errs = appendErrors(errs, validateDuration(policy.maxAge));
  return errs;
}

function validateFault(fault: unknown): Err {
  if (!isObject(fault)) return undefined;
  let errs: Err;
  if (!isObject(fault.abort) && !isObject(fault.delay)) errs = multiAppend(errs, goErr('HTTP fault injection must have an abort and/or a delay'));
  if (isObject(fault.abort)) {
    const abort = fault.abort;
    const v = new Validation().add(validatePercentage(abort.percentage));
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUS.has(str(abort.grpcStatus))) v.error(`gRPC status ${goQuote(str(abort.grpcStatus))} is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`);
    } else if (abort.http2Error !== undefined) {
      v.error('HTTP/2 abort fault injection not supported yet');
    } else if (abort.httpStatus !== undefined) {
      v.add(validateHTTPStatus(num(abort.httpStatus)));
    } else {
      v.warn('abort configured, but error type not set');
    }
    errs = appendErrors(errs, v);
  }
  if (isObject(fault.delay)) {
    const delay = fault.delay;
    errs = appendErrors(errs, validatePercentage(delay.percentage));
    if (delay.fixedDelay !== undefined) errs = appendErrors(errs, validateDuration(delay.fixedDelay));
    else if (delay.exponentialDelay !== undefined) {
      errs = appendErrors(errs, validateDuration(delay.exponentialDelay));
      errs = multiAppend(errs, goErr('exponentialDelay not supported yet'));
    }
  }
  return errs;
}

function validateHTTPStatus(status: number): Err {
  return status < 200 || status > 600 ? goErr(`HTTP status ${status} is not in range 200-599`) : undefined;
}

function validateRedirect(redirect: unknown): Err {
  if (!isObject(redirect)) return undefined;
  if (!str(redirect.uri) && !str(redirect.authority) && redirect.port === undefined && redirect.derivePort === undefined && !str(redirect.scheme)) {
    return goErr('redirect must specify URI, authority, scheme, or port');
  }
  const code = num(redirect.redirectCode);
  if (code !== 0 && (code < 300 || code > 399)) return goErr(`${code} is not a valid redirect code, must be 3xx`);
  const scheme = str(redirect.scheme);
  if (scheme && scheme !== 'http' && scheme !== 'https') return goErr('invalid redirect scheme, must be "http" or "https"');
  if (num(redirect.port) > 0) return validatePort(num(redirect.port));
  return undefined;
}

function validateRetries(retries: unknown): Err {
  if (!isObject(retries)) return undefined;
  let errs: Err;
  const attempts = num(retries.attempts);
  if (attempts < 0) errs = multiAppend(errs, goErr('attempts cannot be negative'));
  if (attempts === 0 && (retries.perTryTimeout !== undefined || str(retries.retryOn) !== '' || retries.retryRemoteLocalities !== undefined)) {
    errs = appendErrors(errs, goErr('http retry policy configured when attempts are set to 0 (disabled)'));
  }
  if (retries.perTryTimeout !== undefined) errs = appendErrors(errs, validateDuration(retries.perTryTimeout));
  if (str(retries.retryOn)) {
    for (const policy of str(retries.retryOn).split(',')) {
      const code = /^[+-]?\d+$/.test(policy) ? Number(policy) : 0;
      if (!HTTP_STATUS_CODES.has(code) && !RETRY_ON.has(policy)) errs = appendErrors(errs, goErr(`${goQuote(policy)} is not a valid retryOn policy`));
    }
  }
  if (retries.backoff !== undefined) errs = appendErrors(errs, validateDuration(retries.backoff));
  return errs;
}

function validateRewrite(rewrite: unknown): Err {
  if (!isObject(rewrite)) return undefined;
  const regex = isObject(rewrite.uriRegexRewrite) ? rewrite.uriRegexRewrite : undefined;
  if (str(rewrite.uri) && regex) return goErr('rewrite may only contain one of URI or UriRegexRewrite');
  if (!str(rewrite.uri) && !regex && !str(rewrite.authority)) {
    return goErr('rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
  }
  if (regex) {
    const e = !str(regex.match) || !str(regex.rewrite)
      ? goErr('UriRegexRewrite requires both Rewrite and Match fields to be specified')
      : validateStringRegexp(str(regex.match), 'HTTPRewrite.UriRegexRewrite.Match');
    // errors.Join: the two messages on two lines.
    if (e) return goErr(`UriRegexRewrite has errors\n${e.msgs.join('\n')}`);
  }
  return undefined;
}

function validateAuthorityRewrite(rewrite: unknown, headers: unknown): Err {
  let current = str(obj(rewrite).authority);
  const request = obj(obj(headers).request);
  for (const [k, v] of [...Object.entries(obj(request.set)), ...Object.entries(obj(request.add))]) {
    if (!isAuthorityHeader(k)) continue;
    if (current !== '') return goErr(`authority header cannot be set multiple times: have ${goQuote(current)}, attempting to set ${goQuote(str(v))}`);
    current = str(v);
  }
  return undefined;
}

function validateMirrors(mirrors: unknown): Validation {
  const v = new Validation();
  for (const m of objects(mirrors)) {
    if (!m) {
      v.error('mirror cannot be null');
      continue;
    }
    if (!isObject(m.destination)) {
      v.error('destination is required for mirrors');
      continue;
    }
    v.add(validateDestination(m.destination));
    if (isObject(m.percentage)) {
      const value = num(m.percentage.value);
      if (value > 100) v.error(`mirror percentage must have a max value of 100 (it has ${goFixed(value)})`);
      if (value < 0) v.error(`mirror percentage must have a min value of 0 (it has ${goFixed(value)})`);
    }
  }
  return v;
}

function validateHTTPRoute(route: JsonObject, delegate: boolean): Validation {
  const v = new Validation().add(validateRouteConflict(route, delegate), validateMatchRequests(route), ...headerOperations(route.headers));
  v.add(validateCorsPolicy(route.corsPolicy), validateFault(route.fault));
  if (isObject(route.mirrorPercent)) {
    const value = num(route.mirrorPercent.value);
    if (value > 100) v.error(`mirror_percent must have a max value of 100 (it has ${value})`);
    v.warn('using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
  }
  if (isObject(route.mirrorPercentage)) {
    const value = num(route.mirrorPercentage.value);
    if (value > 100) v.error(`mirror_percentage must have a max value of 100 (it has ${goFixed(value)})`);
    if (value < 0) v.error(`mirror_percentage must have a min value of 0 (it has ${goFixed(value)})`);
  }
  v.add(validateDestination(route.mirror), validateMirrors(route.mirrors), validateRedirect(route.redirect));
  if (isObject(route.directResponse)) {
    const body = obj(route.directResponse.body);
    const size = str(body.string).length + Math.floor((str(body.bytes).length * 3) / 4);
    if (size > 1024 * 1024) v.error('large direct_responses may impact control plane performance, must be less than 1MB');
    else if (size > 100 * 1024) v.warn('large direct_responses may impact control plane performance');
    v.add(validateHTTPStatus(num(route.directResponse.status)));
  }
  v.add(validateRetries(route.retries), validateRewrite(route.rewrite), validateAuthorityRewrite(route.rewrite, route.headers));
  v.add(validateRouteDestinations(route.route, true));
  if (route.timeout !== undefined) v.add(validateDuration(route.timeout));
  return v;
}

/** host.Name.SubsetOf. */
function subsetOf(a: string, b: string): boolean {
  if (b.startsWith('*')) return a.startsWith('*') ? a.slice(1).endsWith(b.slice(1)) : a.endsWith(b.slice(1));
  return !a.startsWith('*') && a === b;
}

function validateTLSRoute(route: JsonObject | null, hosts: string[]): Validation {
  const v = new Validation();
  if (!route) return v;
  const matches = objects(route.match);
  if (matches.length === 0) v.error('TLS route must have at least one match condition');
  for (const m of matches) {
    if (!m) {
      v.error('TLS match may not be null');
      continue;
    }
    const sniHosts = strings(m.sniHosts);
    if (sniHosts.length === 0) v.error('TLS match must have at least one SNI host');
    for (const sni of sniHosts) {
      const err = validateWildcardDomain(sni);
      if (err) {
        if (isIPAddress(sni)) v.warn(`using an IP address (${goQuote(sni)}) goes against SNI spec and most clients do not support this`);
        else v.add(err);
      } else if (!hosts.some((h) => subsetOf(sni, h))) {
        v.error(`SNI host ${goQuote(sni)} is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`);
      }
    }
    for (const s of strings(m.destinationSubnets)) v.add(validateIPSubnet(s));
    if (num(m.port) !== 0) v.add(validatePort(num(m.port)));
    v.add(validateLabels(m.sourceLabels), validateGatewayNames(strings(m.gateways)));
  }
  if (!Array.isArray(route.route) || route.route.length === 0) v.error('TLS route is required');
  return v.add(validateRouteDestinations(route.route, false));
}

function validateTCPRoute(route: JsonObject | null): Err {
  if (!route) return undefined;
  let errs: Err;
  for (const m of objects(route.match)) {
    if (!m) {
      errs = multiAppend(errs, goErr('tcp match may not be nil'));
      continue;
    }
    let me: Err;
    for (const s of strings(m.destinationSubnets)) me = appendErrors(me, validateIPSubnet(s));
    if (num(m.port) !== 0) me = appendErrors(me, validatePort(num(m.port)));
    me = appendErrors(me, validateLabels(m.sourceLabels), validateGatewayNames(strings(m.gateways)));
    errs = appendErrors(errs, me);
  }
  if (!Array.isArray(route.route) || route.route.length === 0) errs = appendErrors(errs, goErr('TCP route is required'));
  return appendErrors(errs, validateRouteDestinations(route.route, false));
}

/** JSON with sorted keys, a match's name left out: equal text, equal traffic match. */
function matchKey(m: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (!isObject(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  };
  const { name: _name, ...rest } = obj(m);
  return JSON.stringify(canon(rest));
}

/**
 * analyzeUnreachableHTTPRules/TCPRules/TLSRules: rules after a catch-all, and matches a prior
 * rule already takes, as warnings (the overlapping-prefix half is not done here).
 */
function warnUnreachable(v: Validation, rules: unknown[], named: boolean): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  const ruleName = (r: unknown, n: number) => (named && str(obj(r).name) ? goQuote(str(obj(r).name)) : `#${n}`);
  rules.forEach((rule, n) => {
    if (!isObject(rule)) return;
    const matches = Array.isArray(rule.match) ? rule.match : [];
    if (matches.length === 0) {
      if (catchAll >= 0) v.warn(`virtualService rule ${ruleName(rule, n)} not used (only the last rule can have no matches)`);
      catchAll = n;
      return;
    }
    let dups = 0;
    matches.forEach((m, mn) => {
      const key = matchKey(m);
      const prior = seen.get(key);
      if (prior === undefined) {
        seen.set(key, n);
        return;
      }
      const matchName = named && str(obj(m).name) ? goQuote(str(obj(m).name)) : `#${mn}`;
      v.warn(`virtualService rule ${ruleName(rule, n)} match ${matchName} is not used (duplicate/overlapping match in rule ${ruleName(rules[prior], prior)})`);
      dups++;
    });
    if (dups === matches.length) v.warn(`virtualService rule ${ruleName(rule, n)} not used (all matches used by prior rules)`);
  });
}

export function validateVirtualService(vs: KObject): Validation {
  const spec = obj(vs.spec);
  const v = new Validation();
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const http = Array.isArray(spec.http) ? spec.http : [];
  const tls = objects(spec.tls);
  const tcp = objects(spec.tcp);
  if (hosts.length === 0) {
    if (gateways.length !== 0) v.error('delegate virtual service must have no gateways specified');
    if (tls.length !== 0) v.error('delegate virtual service must have no tls route specified');
    if (tcp.length !== 0) v.error('delegate virtual service must have no tcp route specified');
  }
  let toMesh = true;
  let toGateway = false;
  if (gateways.length > 0) {
    v.add(validateGatewayNames(gateways));
    toGateway = !gateways.includes(MESH_GATEWAY);
    toMesh = !toGateway;
  }
  if (!toGateway) {
    for (const route of http) {
      for (const m of objects(obj(route).match)) {
        for (const key of [...Object.keys(obj(m?.headers)), ...Object.keys(obj(m?.withoutHeaders))]) {
          if (isJwtClaim(key)) v.error(`JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`);
        }
      }
    }
  }
  let allHostsValid = true;
  for (const h of hosts) {
    const err = validateWildcardDomain(h);
    if (err) {
      if (!isIPAddress(h)) {
        v.add(err);
        allHostsValid = false;
      }
    } else if (toMesh && h === '*') {
      v.error('wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  }
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostMatches(hosts[i]!, hosts[j]!)) v.error(`duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`);
      }
    }
  }
  if (http.length === 0 && tcp.length === 0 && tls.length === 0) v.error('http, tcp or tls must be provided in virtual service');
  for (const route of http) {
    if (!isObject(route)) v.error('http route may not be null');
    else v.add(validateHTTPRoute(route, hosts.length === 0));
  }
  for (const route of tls) v.add(validateTLSRoute(route, hosts));
  for (const route of tcp) v.add(validateTCPRoute(route));
  v.add(validateExportTo(vs.metadata.namespace ?? '', strings(spec.exportTo), false, false));
  warnUnreachable(v, http, true);
  warnUnreachable(v, tcp, false);
  warnUnreachable(v, tls, false);
  return v;
}
