import type { KObject, ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { apiError, type ApiError } from '../../api/errors.js';
import { defaultPrinter } from '../../api/printers/index.js';
import { toTable } from '../../api/printers/table.js';
import { sendJSON } from '../http.js';
import type { RestContext } from './context.js';

// The representation a client asked for (k8s.io/apiserver/pkg/endpoints/handlers/negotiation
// and response.go transformObject): the object in the request's version, a meta.k8s.io Table,
// or only the metadata, as PartialObjectMetadata(List) — what client-go's metadata informers
// and kubectl's garbage-collector-like callers ask for to keep no more than names and labels.

export const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export type Representation =
  | { as: 'Object' }
  | { as: 'Table' }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' };

/**
 * The first media range of the Accept header this server can answer, in the client's order.
 * Conversions (`as=`) are served as JSON only, so a protobuf one is passed over for the JSON one
 * client-go lists after it; an Accept naming nothing this server knows gets the object.
 */
export function negotiate(accept: string | undefined): Representation {
  for (const range of (accept ?? '').split(',')) {
    const [type, ...paramText] = range.split(';').map((p) => p.trim());
    const params = new Map(paramText.map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const));
    const as = params.get('as');
    if (as === undefined) {
      if (type) return { as: 'Object' };
      continue;
    }
    if (type !== 'application/json' || params.get('g') !== 'meta.k8s.io') continue;
    const v = params.get('v');
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table') return { as: 'Table' };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as, version: v };
  }
  return { as: 'Object' };
}

/** The Content-Type of a metadata answer: the media type the client asked for. */
export function metadataType(r: { as: string; version: string }): string {
  return `application/json;as=${r.as};g=meta.k8s.io;v=${r.version}`;
}

/** Go's %T of what storage returned, as the 406 messages quote it: `*core.Pod`, `*apps.DeploymentList`. */
function goType(def: ResourceDef, list: boolean): string {
  const pkg = def.group === '' ? 'core' : def.group.split('.')[0];
  return `*${pkg}.${list ? def.listKind : def.kind}`;
}

/** asPartialObjectMetadata(List)'s refusal when the request's object and the asked kind disagree. */
export function metadataMismatch(def: ResourceDef, list: boolean): ApiError {
  const message = list
    ? `you requested PartialObjectMetadata, but the requested object is a list (${goType(def, true)})`
    : `you requested PartialObjectMetadataList, but the requested object is not a list (${goType(def, false)})`;
  return apiError(406, 'NotAcceptable', message);
}

/** meta.AsPartialObjectMetadata: the whole ObjectMeta, under meta.k8s.io's kind. */
export function partialObjectMetadata(obj: KObject, version: string): KObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** A stored object in the version the request addresses. */
export function inRequestVersion(ctx: Pick<RestContext, 'def' | 'info' | 'objects'>, obj: KObject): KObject {
  return ctx.objects.toVersion(ctx.def, obj, ctx.info.version);
}

export function table(ctx: Pick<RestContext, 'def' | 'query' | 'info' | 'objects'>, objs: KObject[], noHeaders = false): object {
  const inc = (ctx.query.get('includeObject') ?? 'Metadata') as 'None' | 'Object' | 'Metadata';
  const printer = ctx.def.printer ?? defaultPrinter;
  const conv =
    inc === 'Object'
      ? objs.map((o) => inRequestVersion(ctx, o))
      : objs.map((o) => ({ ...o, apiVersion: apiVersionOf(ctx.def.group, ctx.info.version), kind: ctx.def.kind }));
  return toTable(printer, conv, Date.now(), { includeObject: inc, noHeaders });
}

/** Answers with one object, as a Table or as its metadata when the client asked for one. */
export function sendObject(ctx: RestContext, code: number, obj: KObject): void {
  const r = negotiate(ctx.req.headers.accept);
  if (r.as === 'Table') {
    const t = table(ctx, [obj]) as { metadata: Record<string, unknown> };
    t.metadata.resourceVersion = obj.metadata.resourceVersion;
    sendJSON(ctx.res, code, t, TABLE_TYPE);
    return;
  }
  if (r.as === 'PartialObjectMetadataList') throw metadataMismatch(ctx.def, false);
  if (r.as === 'PartialObjectMetadata') {
    sendJSON(ctx.res, code, partialObjectMetadata(obj, r.version), metadataType(r));
    return;
  }
  const stored = ctx.objects.storedJson(obj);
  const { apiVersion, kind } = obj;
  const out = inRequestVersion(ctx, obj);
  // Unconverted (same object, same version and kind): its stored JSON is the answer.
  const same = stored !== undefined && out === obj && out.apiVersion === apiVersion && out.kind === kind;
  sendJSON(ctx.res, code, same ? stored : out);
}
