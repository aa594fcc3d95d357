// ingress-nginx annotations (prefix `nginx.ingress.kubernetes.io/`) parsed into one typed
// object with ingress-nginx's defaults filled in.
//
//   parseIngressAnnotations(annotations: Record<string, string> | undefined)
//     : { config: IngressAnnotations; errors: string[] }
//
// The controller calls it once per Ingress whenever the Ingress changes, and keeps `config`
// beside the Ingress's compiled routes. An invalid value never rejects the Ingress: as in
// ingress-nginx, that annotation falls back to its default and the reason is returned in
// `errors` (the controller logs them, naming the Ingress).
//
// Defaults are those of ingress-nginx's ConfigMap (docs/user-guide/nginx-configuration/
// configmap.md) where an annotation only overrides a global setting.

import { parseSize } from './policies/size.js';
import { parseCidrList, type Cidr } from './policies/cidr.js';
import { compilePcre } from './policies/regex.js';
import { parseGoBool } from '../../api/go-bool.js';

export const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS' | 'AJP' | 'FCGI';
export type AffinityMode = 'balanced' | 'persistent';
export type AffinityCanaryBehavior = 'sticky' | 'legacy';
export type SameSite = 'None' | 'Lax' | 'Strict';

export interface RewriteAnnotations {
  /** `rewrite-target`, '' when unset. Implies useRegex. May hold $1..$n. */
  target: string;
  /** `use-regex`, or implied by rewrite-target. Host-wide effect: the router applies it. */
  useRegex: boolean;
  /** `use-regex` exactly as written (false when only rewrite-target implies regex). */
  useRegexAnnotation: boolean;
  /** `app-root`, '' when unset: 302 from `/` to it. */
  appRoot: string;
  /** `x-forwarded-prefix`, '' when unset: sent upstream as X-Forwarded-Prefix. */
  xForwardedPrefix: string;
  /** `ssl-redirect` (default true; only acts when the host has TLS). */
  sslRedirect: boolean;
  /** `force-ssl-redirect` (default false; redirects even without TLS). */
  forceSslRedirect: boolean;
  /** `preserve-trailing-slash` (default false) for the HTTPS redirect. */
  preserveTrailingSlash: boolean;
}

export interface RedirectAnnotations {
  /** `permanent-redirect`, '' when unset. */
  permanentRedirect: string;
  /** `permanent-redirect-code`, default 301, valid 300..308. */
  permanentRedirectCode: number;
  /** `temporal-redirect`, '' when unset. */
  temporalRedirect: string;
  /** `temporal-redirect-code`, default 302, valid 300..308. */
  temporalRedirectCode: number;
  /** `from-to-www-redirect` (default false). */
  fromToWwwRedirect: boolean;
}

export interface CanaryAnnotations {
  /** `canary` (default false). Only a canary Ingress uses the other fields. */
  enabled: boolean;
  /** `canary-by-header`, '' when unset. */
  header: string;
  /** `canary-by-header-value`, '' when unset. */
  headerValue: string;
  /** `canary-by-header-pattern`, '' when unset (ignored when headerValue is set). */
  headerPattern: string;
  /** `canary-by-cookie`, '' when unset. */
  cookie: string;
  /** `canary-weight` (default 0). */
  weight: number;
  /** `canary-weight-total` (default 100). */
  weightTotal: number;
}

export interface AffinityAnnotations {
  /** `affinity`: 'cookie' or '' (none). */
  type: '' | 'cookie';
  /** `affinity-mode` (default balanced). */
  mode: AffinityMode;
  /** `affinity-canary-behavior` (default sticky). */
  canaryBehavior: AffinityCanaryBehavior;
  /** `session-cookie-name` (default INGRESSCOOKIE). */
  cookieName: string;
  /** `session-cookie-path`, '' = the location's path (ingress-nginx's default). */
  cookiePath: string;
  /** `session-cookie-domain`, '' when unset. */
  cookieDomain: string;
  /** `session-cookie-samesite`, '' when unset. */
  cookieSameSite: '' | SameSite;
  /** `session-cookie-conditional-samesite-none` (default false). */
  cookieConditionalSameSiteNone: boolean;
  /** `session-cookie-expires` in seconds, '' = session cookie. Kept as written. */
  cookieExpires: string;
  /** `session-cookie-max-age` in seconds, '' = none. Kept as written. */
  cookieMaxAge: string;
  /** `session-cookie-secure`; null (unset) = Secure exactly when the request came over TLS. */
  cookieSecure: boolean | null;
  /** `session-cookie-change-on-failure` (default false). */
  changeOnFailure: boolean;
}

export interface RateLimitAnnotations {
  /** `limit-connections` (0 = off): concurrent connections per client IP. */
  connections: number;
  /** `limit-rps` (0 = off). */
  rps: number;
  /** `limit-rpm` (0 = off). */
  rpm: number;
  /** `limit-burst-multiplier` (default 5). */
  burstMultiplier: number;
  /** `limit-whitelist`: CIDRs exempt from rps/rpm/connection limits. */
  whitelist: Cidr[];
  /** Status for rps/rpm rejections (ConfigMap `limit-req-status-code`, 503). */
  reqStatusCode: number;
  /** Status for connection-limit rejections (ConfigMap `limit-conn-status-code`, 503). */
  connStatusCode: number;
}

export interface CorsAnnotations {
  /** `enable-cors` (default false). */
  enabled: boolean;
  /** `cors-allow-origin`, split on commas; default ['*']. */
  allowOrigin: string[];
  /** `cors-allow-methods` (default 'GET, PUT, POST, DELETE, PATCH, OPTIONS'). */
  allowMethods: string;
  /** `cors-allow-headers` (default DNT,Keep-Alive,...,Authorization). */
  allowHeaders: string;
  /** `cors-expose-headers`, '' when unset. */
  exposeHeaders: string;
  /** `cors-allow-credentials` (default true). */
  allowCredentials: boolean;
  /** `cors-max-age` in seconds (default 1728000). */
  maxAge: number;
}

export interface ProxyAnnotations {
  /** `proxy-connect-timeout` seconds (default 5). */
  connectTimeoutSeconds: number;
  /** `proxy-read-timeout` seconds (default 60). */
  readTimeoutSeconds: number;
  /** `proxy-send-timeout` seconds (default 60). */
  sendTimeoutSeconds: number;
  /** `proxy-next-upstream` conditions (default ['error', 'timeout']); ['off'] disables. */
  nextUpstream: string[];
  /** `proxy-next-upstream-timeout` seconds (default 0 = no limit). */
  nextUpstreamTimeoutSeconds: number;
  /** `proxy-next-upstream-tries` (default 3; 0 = unlimited in nginx). */
  nextUpstreamTries: number;
  /** `proxy-body-size` as written (default '1m'). */
  bodySize: string;
  /** `proxy-body-size` in bytes; 0 = unlimited. */
  bodySizeBytes: number;
  /** `proxy-request-buffering` (default 'on'). */
  requestBuffering: 'on' | 'off';
  /** `proxy-buffering` (default 'off'). */
  buffering: 'on' | 'off';
  /** `proxy-http-version` (default '1.1'). */
  httpVersion: '1.0' | '1.1';
}

export interface IngressAnnotations {
  rewrite: RewriteAnnotations;
  redirect: RedirectAnnotations;
  canary: CanaryAnnotations;
  affinity: AffinityAnnotations;
  rateLimit: RateLimitAnnotations;
  /**
   * Why ingress-nginx would deny the whole location ('' = not denied): an unparsable
   * whitelist-source-range or denylist-source-range makes every request of the location
   * answer 503 rather than open it to everyone.
   */
  denied: string;
  /** `whitelist-source-range`; empty = everyone allowed. 403 otherwise. */
  whitelistSourceRange: Cidr[];
  /** `denylist-source-range`; 403 when the client matches. */
  denylistSourceRange: Cidr[];
  cors: CorsAnnotations;
  proxy: ProxyAnnotations;
  /** `backend-protocol` (default HTTP). The controller proxies HTTP and HTTPS. */
  backendProtocol: BackendProtocol;
  /** `upstream-vhost`, '' when unset: the Host header sent upstream. */
  upstreamVhost: string;
  /** `default-backend`: a Service name in the Ingress's namespace, '' when unset. */
  defaultBackend: string;
  /** `service-upstream` (default false): proxy to the ClusterIP instead of endpoints. */
  serviceUpstream: boolean;
  /** `load-balance` (default round_robin). */
  loadBalance: 'round_robin' | 'ewma';
  /** `upstream-hash-by`, '' when unset. */
  upstreamHashBy: string;
  /** `custom-http-errors` status codes, empty when unset. */
  customHttpErrors: number[];
  /** `enable-access-log` (default true): whether the location's requests are logged. */
  accessLog: boolean;
}

const DEFAULT_CORS_METHODS = 'GET, PUT, POST, DELETE, PATCH, OPTIONS';
const DEFAULT_CORS_HEADERS =
  'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization';

export function defaultIngressAnnotations(): IngressAnnotations {
  return {
    rewrite: {
      target: '', useRegex: false, useRegexAnnotation: false, appRoot: '', xForwardedPrefix: '',
      sslRedirect: true, forceSslRedirect: false, preserveTrailingSlash: false,
    },
    redirect: {
      permanentRedirect: '', permanentRedirectCode: 301,
      temporalRedirect: '', temporalRedirectCode: 302, fromToWwwRedirect: false,
    },
    canary: { enabled: false, header: '', headerValue: '', headerPattern: '', cookie: '', weight: 0, weightTotal: 100 },
    affinity: {
      type: '', mode: 'balanced', canaryBehavior: 'sticky', cookieName: 'INGRESSCOOKIE',
      cookiePath: '', cookieDomain: '', cookieSameSite: '', cookieConditionalSameSiteNone: false,
      cookieExpires: '', cookieMaxAge: '', cookieSecure: null, changeOnFailure: false,
    },
    rateLimit: {
      connections: 0, rps: 0, rpm: 0, burstMultiplier: 5, whitelist: [],
      reqStatusCode: 503, connStatusCode: 503,
    },
    denied: '',
    whitelistSourceRange: [],
    denylistSourceRange: [],
    cors: {
      enabled: false, allowOrigin: ['*'], allowMethods: DEFAULT_CORS_METHODS,
      allowHeaders: DEFAULT_CORS_HEADERS, exposeHeaders: '', allowCredentials: true, maxAge: 1728000,
    },
    proxy: {
      connectTimeoutSeconds: 5, readTimeoutSeconds: 60, sendTimeoutSeconds: 60,
      nextUpstream: ['error', 'timeout'], nextUpstreamTimeoutSeconds: 0, nextUpstreamTries: 3,
      bodySize: '1m', bodySizeBytes: 1024 * 1024,
      requestBuffering: 'on', buffering: 'off', httpVersion: '1.1',
    },
    backendProtocol: 'HTTP',
    upstreamVhost: '',
    defaultBackend: '',
    serviceUpstream: false,
    loadBalance: 'round_robin',
    upstreamHashBy: '',
    customHttpErrors: [],
    accessLog: true,
  };
}

/** Reads annotation values by short name and records why a value was refused. */
class AnnotationReader {
  readonly errors: string[] = [];
  constructor(private readonly annotations: Record<string, string>) {}

  raw(name: string): string | undefined {
    const value = this.annotations[ANNOTATION_PREFIX + name];
    return typeof value === 'string' ? value : undefined;
  }

  invalid(name: string, value: string, reason?: string): void {
    const full = ANNOTATION_PREFIX + name;
    this.errors.push(reason
      ? `the annotation ${full} does not contain a valid configuration: ${reason}`
      : `the annotation ${full} does not contain a valid value (${value})`);
  }

  string(name: string, fallback: string): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const trimmed = value.trim();
    if (trimmed === '') {
      this.invalid(name, value, 'the annotation has no value');
      return fallback;
    }
    return trimmed;
  }

  /** Go's strconv.ParseBool, which ingress-nginx uses. */
  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = parseGoBool(value.trim());
    if (parsed !== undefined) return parsed;
    this.invalid(name, value);
    return fallback;
  }

  /** Go's strconv.Atoi: an optional sign and decimal digits only. */
  int(name: string, fallback: number, valid: (n: number) => boolean = () => true): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const v = value.trim();
    if (!/^[+-]?\d+$/.test(v)) {
      this.invalid(name, value);
      return fallback;
    }
    const n = Number.parseInt(v, 10);
    if (!Number.isSafeInteger(n) || !valid(n)) {
      this.invalid(name, value);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string, F extends string = T>(name: string, allowed: readonly T[], fallback: F, caseInsensitive = false): T | F {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const v = value.trim();
    const found = allowed.find((a) => (caseInsensitive ? a.toLowerCase() === v.toLowerCase() : a === v));
    if (found === undefined) {
      this.invalid(name, value);
      return fallback;
    }
    return found;
  }

  /** A CIDR list; undefined (and an error) when any entry does not parse. */
  /** A non-negative integer kept as written, or '' when unset or invalid. */
  optionalCount(name: string): string {
    if (this.raw(name) === undefined) return '';
    const n = this.int(name, -1, (v) => v >= 0);
    return n < 0 ? '' : String(n);
  }

  cidrs(name: string): Cidr[] | undefined {
    const value = this.raw(name);
    if (value === undefined || value.trim() === '') return [];
    const parsed = parseCidrList(value);
    if (parsed.invalid.length > 0) {
      this.invalid(name, value, `the annotation does not contain a valid IP address or network: ${parsed.invalid.join(', ')}`);
      return undefined;
    }
    return parsed.cidrs;
  }
}

const PROTOCOLS: readonly BackendProtocol[] = ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'AJP', 'FCGI'];
const NEXT_UPSTREAM = new Set([
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504',
  'http_403', 'http_404', 'http_429', 'non_idempotent', 'off',
]);

export function parseIngressAnnotations(
  annotations: Record<string, string> | undefined,
): { config: IngressAnnotations; errors: string[] } {
  const config = defaultIngressAnnotations();
  const r = new AnnotationReader(annotations ?? {});

  const rw = config.rewrite;
  rw.target = r.string('rewrite-target', '');
  rw.useRegexAnnotation = r.bool('use-regex', false);
  rw.useRegex = rw.useRegexAnnotation || rw.target !== '';
  rw.appRoot = r.string('app-root', '');
  if (rw.appRoot !== '' && !rw.appRoot.startsWith('/')) {
    // The redirect is written as $scheme://$http_host<app-root>, so only a path makes sense.
    r.invalid('app-root', rw.appRoot, 'app-root must start with /');
    rw.appRoot = '';
  }
  rw.xForwardedPrefix = r.string('x-forwarded-prefix', '');
  rw.sslRedirect = r.bool('ssl-redirect', true);
  rw.forceSslRedirect = r.bool('force-ssl-redirect', false);
  rw.preserveTrailingSlash = r.bool('preserve-trailing-slash', false);

  const rd = config.redirect;
  rd.permanentRedirect = r.string('permanent-redirect', '');
  rd.permanentRedirectCode = r.int('permanent-redirect-code', 301, (n) => n >= 300 && n <= 308);
  rd.temporalRedirect = r.string('temporal-redirect', '');
  rd.temporalRedirectCode = r.int('temporal-redirect-code', 302, (n) => n >= 300 && n <= 308);
  rd.fromToWwwRedirect = r.bool('from-to-www-redirect', false);
  for (const [name, url] of [['permanent-redirect', rd.permanentRedirect], ['temporal-redirect', rd.temporalRedirect]] as const) {
    if (url !== '' && !isRedirectUrl(url)) {
      r.invalid(name, url, `${url} is not a valid URL`);
      if (name === 'permanent-redirect') rd.permanentRedirect = '';
      else rd.temporalRedirect = '';
    }
  }

  const c = config.canary;
  c.enabled = r.bool('canary', false);
  c.header = r.string('canary-by-header', '');
  c.headerValue = r.string('canary-by-header-value', '');
  c.headerPattern = r.string('canary-by-header-pattern', '');
  if (c.headerPattern !== '') {
    try {
      compilePcre(c.headerPattern);
    } catch {
      r.invalid('canary-by-header-pattern', c.headerPattern, 'the pattern is not a valid regular expression');
      c.headerPattern = '';
    }
  }
  c.cookie = r.string('canary-by-cookie', '');
  c.weightTotal = r.int('canary-weight-total', 100, (n) => n > 0);
  c.weight = r.int('canary-weight', 0, (n) => n >= 0);

  const a = config.affinity;
  a.type = r.oneOf('affinity', ['cookie'] as const, '');
  a.mode = r.oneOf('affinity-mode', ['balanced', 'persistent'] as const, 'balanced');
  a.canaryBehavior = r.oneOf('affinity-canary-behavior', ['sticky', 'legacy'] as const, 'sticky');
  a.cookieName = r.string('session-cookie-name', 'INGRESSCOOKIE');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(a.cookieName)) {
    r.invalid('session-cookie-name', a.cookieName);
    a.cookieName = 'INGRESSCOOKIE';
  }
  a.cookiePath = r.string('session-cookie-path', '');
  a.cookieDomain = r.string('session-cookie-domain', '');
  // lua-resty-cookie drops any SameSite value other than these exact spellings.
  a.cookieSameSite = r.oneOf('session-cookie-samesite', ['None', 'Lax', 'Strict'] as const, '');
  a.cookieConditionalSameSiteNone = r.bool('session-cookie-conditional-samesite-none', false);
  a.cookieExpires = r.optionalCount('session-cookie-expires');
  a.cookieMaxAge = r.optionalCount('session-cookie-max-age');
  a.cookieSecure = r.raw('session-cookie-secure') === undefined ? null : r.bool('session-cookie-secure', false);
  a.changeOnFailure = r.bool('session-cookie-change-on-failure', false);

  const rl = config.rateLimit;
  rl.connections = r.int('limit-connections', 0, (n) => n >= 0);
  rl.rps = r.int('limit-rps', 0, (n) => n >= 0);
  rl.rpm = r.int('limit-rpm', 0, (n) => n >= 0);
  rl.burstMultiplier = r.int('limit-burst-multiplier', 5, (n) => n > 0);
  rl.whitelist = r.cidrs('limit-whitelist') ?? [];

  // ingress-nginx answers a LocationDenied error here: the location then returns 503.
  for (const name of ['whitelist-source-range', 'denylist-source-range'] as const) {
    const cidrs = r.cidrs(name);
    if (cidrs === undefined) config.denied = `Location denied, reason: invalid ${name}`;
    else if (name === 'whitelist-source-range') config.whitelistSourceRange = cidrs;
    else config.denylistSourceRange = cidrs;
  }

  const co = config.cors;
  co.enabled = r.bool('enable-cors', false);
  const origins = r.raw('cors-allow-origin');
  if (origins !== undefined) {
    const list = origins.split(',').map((o) => o.trim()).filter((o) => o !== '');
    const bad = list.filter((o) => o !== '*' && !/^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/.test(o));
    if (list.length === 0) r.invalid('cors-allow-origin', origins);
    else {
      // ingress-nginx drops the origins it cannot match and keeps the rest.
      for (const o of bad) r.invalid('cors-allow-origin', o);
      const good = list.filter((o) => !bad.includes(o));
      if (good.length > 0) co.allowOrigin = good;
    }
  }
  co.allowMethods = r.string('cors-allow-methods', DEFAULT_CORS_METHODS);
  if (!/^[A-Za-z]+(\s*,\s*[A-Za-z]+)*$/.test(co.allowMethods)) {
    r.invalid('cors-allow-methods', co.allowMethods);
    co.allowMethods = DEFAULT_CORS_METHODS;
  }
  co.allowHeaders = r.string('cors-allow-headers', DEFAULT_CORS_HEADERS);
  if (!/^[A-Za-z0-9\-_*]+(\s*,\s*[A-Za-z0-9\-_*]+)*$/.test(co.allowHeaders)) {
    r.invalid('cors-allow-headers', co.allowHeaders);
    co.allowHeaders = DEFAULT_CORS_HEADERS;
  }
  co.exposeHeaders = r.string('cors-expose-headers', '');
  if (co.exposeHeaders !== '' && !/^[A-Za-z0-9\-_*]+(\s*,\s*[A-Za-z0-9\-_*]+)*$/.test(co.exposeHeaders)) {
    r.invalid('cors-expose-headers', co.exposeHeaders);
    co.exposeHeaders = '';
  }
  co.allowCredentials = r.bool('cors-allow-credentials', true);
  co.maxAge = r.int('cors-max-age', 1728000, (n) => n >= 0);

  const p = config.proxy;
  p.connectTimeoutSeconds = r.int('proxy-connect-timeout', 5, (n) => n > 0);
  p.readTimeoutSeconds = r.int('proxy-read-timeout', 60, (n) => n > 0);
  p.sendTimeoutSeconds = r.int('proxy-send-timeout', 60, (n) => n > 0);
  const next = r.raw('proxy-next-upstream');
  if (next !== undefined) {
    const words = next.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0 || words.some((w) => !NEXT_UPSTREAM.has(w))) r.invalid('proxy-next-upstream', next);
    else p.nextUpstream = words;
  }
  p.nextUpstreamTimeoutSeconds = r.int('proxy-next-upstream-timeout', 0, (n) => n >= 0);
  p.nextUpstreamTries = r.int('proxy-next-upstream-tries', 3, (n) => n >= 0);
  const size = r.raw('proxy-body-size');
  if (size !== undefined) {
    const bytes = parseSize(size);
    if (bytes === undefined) r.invalid('proxy-body-size', size);
    else {
      p.bodySize = size.trim();
      p.bodySizeBytes = bytes;
    }
  }
  p.requestBuffering = r.oneOf('proxy-request-buffering', ['on', 'off'] as const, 'on');
  p.buffering = r.oneOf('proxy-buffering', ['on', 'off'] as const, 'off');
  p.httpVersion = r.oneOf('proxy-http-version', ['1.0', '1.1'] as const, '1.1');

  config.backendProtocol = r.oneOf('backend-protocol', PROTOCOLS, 'HTTP', true);
  config.upstreamVhost = r.string('upstream-vhost', '');
  config.defaultBackend = r.string('default-backend', '');
  config.serviceUpstream = r.bool('service-upstream', false);
  config.loadBalance = r.oneOf('load-balance', ['round_robin', 'ewma'] as const, 'round_robin');
  config.upstreamHashBy = r.string('upstream-hash-by', '');
  const errorsRaw = r.raw('custom-http-errors');
  if (errorsRaw !== undefined) {
    const codes = errorsRaw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (codes.every((s) => /^\d{3}$/.test(s))) config.customHttpErrors = codes.map(Number);
    else r.invalid('custom-http-errors', errorsRaw);
  }
  config.accessLog = r.bool('enable-access-log', true);

  return { config, errors: r.errors };
}

function isRedirectUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
