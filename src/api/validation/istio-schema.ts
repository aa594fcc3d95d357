import type { FieldError } from '../types.js';
import { parseGoDuration } from '../duration.js';
import { invalid, notSupported, required } from './field.js';
import { isObject, obj, type JsonObject } from './json.js';

// What the Istio CRDs' structural schemas (Istio 1.26's manifests/charts/base crd-all) refuse
// before the webhook is asked: required fields, enums, minimums and the x-kubernetes-validations
// rules, with the apiserver's wording for each.

interface Rule {
  required?: string[];
  enum?: string[];
  /** The schema's minimum, for the uint32 fields. */
  min?: number;
  /** x-kubernetes-validations: a message and the rule's test on the value. */
  cel?: { message: string; ok(v: unknown): boolean }[];
}

const DURATION = { message: 'must be a valid duration greater than 1ms', ok: (v: unknown) => typeof v === 'string' && (parseGoDuration(v) ?? 0) >= 1 };
const PORT = { message: 'port must be between 1-65535', ok: (v: unknown) => typeof v === 'number' && v > 0 && v <= 65535 };
const UINT: Rule = { min: 0 };
/** A rule on an object's fields (a value that is no object has none). */
const onObject = (f: (o: JsonObject) => boolean) => (v: unknown) => f(obj(v));
const LB_SIMPLE = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'];
const PORT_NAME = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** A DestinationRule's TrafficPolicy, found at several depths. */
function trafficPolicyRules(at: string, portLevel: boolean): Record<string, Rule> {
  const out: Record<string, Rule> = {
    [`${at}.connectionPool.http.h2UpgradePolicy`]: { enum: ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] },
    [`${at}.connectionPool.http.idleTimeout`]: { cel: [DURATION] },
    [`${at}.connectionPool.tcp.connectTimeout`]: { cel: [DURATION] },
    [`${at}.connectionPool.tcp.maxConnectionDuration`]: { cel: [DURATION] },
    [`${at}.connectionPool.tcp.tcpKeepalive.interval`]: { cel: [DURATION] },
    [`${at}.connectionPool.tcp.tcpKeepalive.time`]: { cel: [DURATION] },
    [`${at}.loadBalancer.consistentHash.httpCookie`]: { required: ['name'] },
    [`${at}.loadBalancer.simple`]: { enum: LB_SIMPLE },
    [`${at}.loadBalancer.warmup`]: { required: ['duration'] },
    [`${at}.loadBalancer.warmup.duration`]: { cel: [DURATION] },
    [`${at}.loadBalancer.warmupDurationSecs`]: { cel: [DURATION] },
    [`${at}.outlierDetection.baseEjectionTime`]: { cel: [DURATION] },
    [`${at}.outlierDetection.consecutive5xxErrors`]: UINT,
    [`${at}.outlierDetection.consecutiveGatewayErrors`]: UINT,
    [`${at}.outlierDetection.interval`]: { cel: [DURATION] },
    [`${at}.tls.mode`]: { enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] },
  };
  if (!portLevel) return out;
  return { ...out, ...trafficPolicyRules(`${at}.portLevelSettings[]`, false), [`${at}.portLevelSettings[].port.number`]: UINT };
}

const DESTINATION = (at: string): Record<string, Rule> => ({ [at]: { required: ['destination'] }, [`${at}.destination`]: { required: ['host'] }, [`${at}.destination.port.number`]: UINT });

const RULES: Record<string, Record<string, Rule>> = {
  Gateway: {
    'spec.servers[]': { required: ['port', 'hosts'] },
    'spec.servers[].port': { required: ['number', 'protocol', 'name'] },
    'spec.servers[].port.number': UINT,
    'spec.servers[].tls.mode': { enum: ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'] },
    'spec.servers[].tls.minProtocolVersion': { enum: ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] },
    'spec.servers[].tls.maxProtocolVersion': { enum: ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] },
  },
  VirtualService: {
    'spec.http[].corsPolicy.maxAge': { cel: [DURATION] },
    'spec.http[].directResponse': { required: ['status'] },
    'spec.http[].fault.delay.exponentialDelay': { cel: [DURATION] },
    'spec.http[].fault.delay.fixedDelay': { cel: [DURATION] },
    'spec.http[].match[].port': UINT,
    'spec.http[].mirror': { required: ['host'] },
    'spec.http[].mirrors[]': { required: ['destination'] },
    'spec.http[].mirrors[].destination': { required: ['host'] },
    'spec.http[].redirect.derivePort': { enum: ['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'] },
    'spec.http[].redirect.port': UINT,
    'spec.http[].redirect.redirectCode': UINT,
    'spec.http[].retries.backoff': { cel: [DURATION] },
    'spec.http[].retries.perTryTimeout': { cel: [DURATION] },
    ...DESTINATION('spec.http[].route[]'),
    'spec.http[].timeout': { cel: [DURATION] },
    'spec.tcp[].match[].port': UINT,
    ...DESTINATION('spec.tcp[].route[]'),
    'spec.tls[]': { required: ['match'] },
    'spec.tls[].match[]': { required: ['sniHosts'] },
    'spec.tls[].match[].port': UINT,
    ...DESTINATION('spec.tls[].route[]'),
  },
  DestinationRule: {
    spec: { required: ['host'] },
    'spec.subsets[]': { required: ['name'] },
    ...trafficPolicyRules('spec.trafficPolicy', true),
    ...trafficPolicyRules('spec.subsets[].trafficPolicy', true),
    'spec.trafficPolicy.proxyProtocol.version': { enum: ['V1', 'V2'] },
    'spec.trafficPolicy.tunnel': { required: ['targetHost', 'targetPort'] },
  },
  ServiceEntry: {
    '': { required: ['spec'] },
    spec: {
      required: ['hosts'],
      cel: [
        { message: 'only one of WorkloadSelector or Endpoints can be set', ok: onObject((s) => !(s.workloadSelector !== undefined && s.endpoints !== undefined)) },
        {
          message: 'CIDR addresses are allowed only for NONE/STATIC resolution types',
          ok: onObject((s) => !(Array.isArray(s.addresses) && s.addresses.some((a: unknown) => String(a).includes('/')) && !['NONE', 'STATIC', undefined].includes(s.resolution as string | undefined))),
        },
        { message: 'NONE mode cannot set endpoints', ok: onObject((s) => (s.resolution ?? 'NONE') !== 'NONE' || s.endpoints === undefined) },
        { message: 'DNS_ROUND_ROBIN mode cannot have multiple endpoints', ok: onObject((s) => s.resolution !== 'DNS_ROUND_ROBIN' || !Array.isArray(s.endpoints) || s.endpoints.length <= 1) },
      ],
    },
    'spec.hosts[]': { cel: [{ message: 'hostname cannot be wildcard', ok: (h) => h !== '*' }] },
    'spec.location': { enum: ['MESH_EXTERNAL', 'MESH_INTERNAL'] },
    'spec.resolution': { enum: ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] },
    'spec.ports': { cel: [{ message: 'port number cannot be duplicated', ok: (ps) => !Array.isArray(ps) || new Set(ps.map((p: unknown) => obj(p).number)).size === ps.length }] },
    'spec.ports[]': { required: ['number', 'name'] },
    'spec.ports[].number': { min: 0, cel: [PORT] },
    'spec.ports[].targetPort': { min: 0, cel: [PORT] },
    'spec.endpoints[]': { cel: [{ message: 'Address is required', ok: (e) => !isObject(e) || e.address !== undefined || e.network !== undefined }] },
    'spec.endpoints[].ports': { cel: [{ message: 'port name must be valid', ok: (ps) => !isObject(ps) || Object.keys(ps).every((k) => k.length < 63 && PORT_NAME.test(k)) }] },
    'spec.endpoints[].ports{}': { min: 0, cel: [PORT] },
    'spec.workloadSelector.labels{}': { cel: [{ message: 'wildcard is not supported in selector', ok: (v) => !String(v).includes('*') }] },
  },
};

/** Every value at a pattern's paths: `[]` walks a list, `{}` a map's values. */
function expand(root: unknown, pattern: string): { path: string; value: unknown }[] {
  let at: { path: string; value: unknown }[] = [{ path: '', value: root }];
  if (pattern === '') return at;
  for (const step of pattern.split('.')) {
    const next: { path: string; value: unknown }[] = [];
    const name = step.replace(/(\[\]|\{\})$/, '');
    for (const { path, value } of at) {
      if (!isObject(value) || value[name] === undefined || value[name] === null) continue;
      const p = path ? `${path}.${name}` : name;
      const v = value[name];
      if (step.endsWith('[]')) {
        if (Array.isArray(v)) v.forEach((item, i) => next.push({ path: `${p}[${i}]`, value: item }));
      } else if (step.endsWith('{}')) {
        if (isObject(v)) for (const [k, item] of Object.entries(v)) next.push({ path: `${p}[${k}]`, value: item });
      } else {
        next.push({ path: p, value: v });
      }
    }
    at = next;
  }
  return at;
}

function celValueType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
}

/** The schema's errors for one Istio object: OpenAPI checks first, then the CEL rules, as the apiserver orders them. */
export function istioSchemaErrors(kind: string, obj: unknown): FieldError[] {
  const rules = RULES[kind] ?? {};
  const schema: FieldError[] = [];
  const cel: FieldError[] = [];
  for (const [pattern, rule] of Object.entries(rules)) {
    for (const { path, value } of expand(obj, pattern)) {
      for (const f of rule.required ?? []) {
        if (isObject(value) && (value[f] === undefined || value[f] === null)) schema.push(required(path ? `${path}.${f}` : f));
      }
      if (rule.enum && typeof value === 'string' && !rule.enum.includes(value)) schema.push(notSupported(path, value, rule.enum));
      if (rule.min !== undefined && typeof value === 'number' && value < rule.min) {
        schema.push(invalid(path, value, `${path} in body should be greater than or equal to ${rule.min}`));
      }
      for (const c of rule.cel ?? []) if (!c.ok(value)) cel.push(invalid(path, celValueType(value), c.message));
    }
  }
  return [...schema, ...cel];
}
