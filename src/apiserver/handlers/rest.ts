import type { IncomingMessage } from 'node:http';
import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { pruneUnknownFields, typeError, strictDecodingMessage, unknownFields, unknownFieldWarning, warningHeaderValue } from '../../api/openapi/index.js';
import { apiError, errors, type ApiError } from '../../api/errors.js';
import type { PatchError } from '../patch/index.js';
import { BodyDecodeError, readObjectBody } from '../body.js';
import { summarizeData } from '../json-syntax.js';
import type { RestContext } from './context.js';

// What the write verbs share (handlers/rest.go): the decoded object, its kind and namespace
// checked against the URL, field validation, dry run and the field manager.

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidation(ctx: RestContext): FieldValidation {
  const v = ctx.query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') {
    throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
  }
  return v;
}

/** Unknown fields: refused under Strict; otherwise dropped, with a Warning header each under Warn. */
export function checkFields(ctx: RestContext, obj: KObject, version: string): void {
  const mode = fieldValidation(ctx);
  if (mode === 'Strict') {
    const unknown = unknownFields(ctx.def.group, version, ctx.def.kind, obj);
    if (unknown.length) throw errors.badRequest(strictDecodingMessage(ctx.def.kind, version, unknown));
    return;
  }
  const dropped = pruneUnknownFields(ctx.def.group, version, ctx.def.kind, obj);
  if (mode === 'Warn' && dropped.length) ctx.res.setHeader('Warning', dropped.map((f) => warningHeaderValue(unknownFieldWarning(f))));
}

/** Admission warnings as Warning headers, after those the request already carries. */
export function addWarnings(ctx: RestContext, warnings: string[]): void {
  if (!warnings.length) return;
  const have = ctx.res.getHeader('Warning');
  const before = Array.isArray(have) ? have : have === undefined ? [] : [String(have)];
  ctx.res.setHeader('Warning', [...before, ...warnings.map(warningHeaderValue)]);
}

export function dryRun(ctx: Pick<RestContext, 'query'>): boolean {
  const values = ctx.query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}`);
  return values.length > 0;
}

/** Upstream derives a field manager from the User-Agent's program name when none is given. */
export function managerFromAgent(req: IncomingMessage): string | undefined {
  const ua = req.headers['user-agent'];
  if (!ua) return undefined;
  return ua.split('/')[0].slice(0, 128) || undefined;
}

export function fieldManager(ctx: Pick<RestContext, 'query' | 'req'>): string | undefined {
  return ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req);
}

/** Decodes a create/update body and checks it addresses this endpoint. */
export async function decodeObject(ctx: RestContext): Promise<{ obj: KObject; version: string }> {
  let raw: unknown;
  try {
    raw = await readObjectBody(ctx.req);
  } catch (e) {
    if (!(e instanceof BodyDecodeError)) throw e;
    if (e.protobuf) throw errors.badRequest(`${ctx.def.kind} in version "${ctx.info.version}" cannot be handled as a ${ctx.def.kind}: ${e.message}`);
    // Without a kind from the body, upstream's transformDecodeError names the endpoint's kind
    // and quotes the start of the body.
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${ctx.def.kind}): couldn't get version/kind; json parse error: ${e.message} (${summarizeData(e.body)})`);
  }
  const decoded = checkKind(ctx, raw);
  checkTypes(ctx, decoded.obj, decoded.version);
  return decoded;
}

/** Typed decoding: a value of the wrong JSON type fails as it does decoding into the Go struct. */
export function checkTypes(ctx: RestContext, obj: KObject, version: string): void {
  const err = typeError(ctx.def.group, version, ctx.def.kind, obj);
  if (err) throw errors.badRequest(`${ctx.def.kind} in version "${version}" cannot be handled as a ${ctx.def.kind}: ${err}`);
}

/** The Go package of a built-in group's versioned (`k8s.io/api/apps/v1`) or internal (`k8s.io/kubernetes/pkg/apis/apps`) types. */
function goPackage(group: string, version?: string): string {
  const short = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return version ? `k8s.io/api/${short}/${version}` : `k8s.io/kubernetes/pkg/apis/${short}`;
}

/** The body's apiVersion and kind against the endpoint's; the object stamped with them. */
export function checkKind(ctx: RestContext, raw: unknown): { obj: KObject; version: string } {
  const { def, info } = ctx;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const obj = raw as KObject;
  const want = apiVersionOf(def.group, info.version);
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
    const [g, v] = typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/') ? obj.apiVersion.split('/', 2) : ['', typeof obj.apiVersion === 'string' && obj.apiVersion ? obj.apiVersion : info.version];
    const other = typeof obj.kind === 'string' ? ctx.objects.reg.kind(g, obj.kind) : undefined;
    if (other && other.versions.includes(v) && !g.endsWith('istio.io') && !def.group.endsWith('istio.io')) {
      // A kind the scheme knows decodes, then fails to convert into the endpoint's internal type.
      throw errors.badRequest(`${obj.kind} in version "${v}" cannot be handled as a ${def.kind}: converting (${goPackage(g, v)}) ${obj.kind} to (${goPackage(def.group)}) ${def.kind}: unknown conversion`);
    }
    throw errors.badRequest(`${obj.kind} in version "${info.version}" cannot be handled as a ${def.kind}: no kind "${obj.kind}" is registered for version "${obj.apiVersion ?? want}" in scheme "k8s.io/apiserver/pkg/endpoints/handlers/create.go"`);
  }
  let version = info.version;
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
    const [g, v] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/', 2) : ['', obj.apiVersion];
    if (g !== def.group || !def.versions.includes(v)) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    }
    version = v;
  }
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`);
  }
  obj.metadata ??= {};
  obj.apiVersion = apiVersionOf(def.group, version);
  obj.kind = def.kind;
  return { obj, version };
}

/** The object's namespace is the URL's. */
export function namespaceFor(ctx: RestContext, obj: KObject): void {
  if (!ctx.def.namespaced) return;
  const urlNs = ctx.info.namespace;
  if (!urlNs) throw errors.notFoundPath();
  if (obj.metadata.namespace && obj.metadata.namespace !== urlNs) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = urlNs;
}

export function patchFailed(e: PatchError): ApiError {
  return apiError(e.code, e.reason, e.message, e.causes?.length ? { causes: e.causes.map((c) => ({ ...c })) } : undefined);
}
