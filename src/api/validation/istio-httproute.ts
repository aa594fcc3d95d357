import { appendErrors, goErr, goQuote, multiAppend, Validation, type Err } from './istio-errors.js';
import { goFixed, isIstioDNSLabel, num, objects, strings, validateDuration, validateLabels, validatePercentage, validatePort } from './istio-common.js';
import { HEADER_TOKEN, headerNameOrClaim, headerOperations, isAuthorityHeader } from './istio-headers.js';
import { validateStringRegexp } from './istio-regex.js';
import { validateDestination, validateGatewayNames, validateRouteDestinations, validateStringMatch, validateStringMatchRegexp } from './istio-routes.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// validateHTTPRoute (pkg/config/validation/virtualservice.go, Istio 1.26): one HTTP rule's
// matches, header edits, CORS, fault, mirrors, redirect, retries, rewrite and destinations.

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

export function validateHTTPRoute(route: JsonObject, delegate: boolean): Validation {
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
