import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { KObject, ResourceDef } from '../api/types.js';
import { apiVersionOf } from '../api/types.js';
import { formatLabelSelector, type LabelSelector } from '../api/selectors.js';
import { defaultPrinter } from '../api/printers/index.js';
import { toTable } from '../api/printers/table.js';
import { pruneUnknownFields, typeError, strictDecodingMessage, unknownFields, unknownFieldWarning, warningHeaderValue } from '../api/openapi/index.js';
import { decodeProtobuf } from '../api/protobuf/index.js';
import { applyPatch, patchTypeOf, PatchError, serverSideApply } from './patch/index.js';
import { Objects, storeResource, type DeleteOptions } from './objects.js';
import { ApiError, errors, apiError } from '../api/errors.js';
import { mediaType, readBody, sendJSON } from './http.js';
import { BodyDecodeError, readObjectBody } from './body.js';
import { goJsonSyntaxError, summarizeData } from './json-syntax.js';
import { parseFilter, matches, type Filter } from './filter.js';
import type { RequestInfo } from './request-info.js';
import { serveWatch } from './watch.js';
import { checkListResourceVersion, parseResourceVersion, waitUntilFresh } from './resource-version.js';
import { kubeletTarget, proxyRequest, proxyUpgrade } from './kubelet-proxy.js';
import type { Duplex } from 'node:stream';

export const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json'];

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface RestContext {
  def: ResourceDef;
  info: RequestInfo;
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
}
type Ctx = RestContext;

/** A subresource that is not a generic verb on its parent (serviceaccounts/token), keyed `<group>/<plural>/<subresource>`. */
export type SubresourceHandler = (ctx: RestContext) => Promise<void>;

/** Serves one resource path: collection and item verbs, status, scale and connect subresources. */
export class ResourceHandler {
  constructor(
    readonly objects: Objects,
    private nodesDir: string,
    private readonly extraSubresources: Record<string, SubresourceHandler> = {},
  ) {}

  async handle(ctx: Ctx): Promise<void> {
    const { info, req } = ctx;
    const method = req.method ?? 'GET';
    const sub = info.subresource;
    if (sub) return this.subresource(ctx, sub, method);
    if (!info.name) {
      switch (method) {
        case 'GET':
          return ctx.query.get('watch') === 'true' || ctx.query.get('watch') === '1' ? this.watch(ctx) : await this.list(ctx);
        case 'POST':
          return this.create(ctx);
        case 'DELETE':
          return this.deleteCollection(ctx);
        default:
          throw errors.methodNotAllowed();
      }
    }
    switch (method) {
      case 'GET':
        return this.get(ctx);
      case 'PUT':
        return this.update(ctx);
      case 'PATCH':
        return this.patch(ctx);
      case 'DELETE':
        return this.delete(ctx);
      default:
        throw errors.methodNotAllowed();
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  private out(ctx: Ctx, obj: KObject): KObject {
    return this.objects.toVersion(ctx.def, obj, ctx.info.version);
  }

  private sendObject(ctx: Ctx, code: number, obj: KObject): void {
    if (wantsTable(ctx.req.headers.accept)) {
      const t = this.table(ctx, [obj]) as { metadata: Record<string, unknown> };
      t.metadata.resourceVersion = obj.metadata.resourceVersion;
      sendJSON(ctx.res, code, t, TABLE_TYPE);
      return;
    }
    sendJSON(ctx.res, code, this.out(ctx, obj));
  }

  table(ctx: Pick<Ctx, 'def' | 'query' | 'info'>, objs: KObject[], noHeaders = false): object {
    const inc = (ctx.query.get('includeObject') ?? 'Metadata') as 'None' | 'Object' | 'Metadata';
    const printer = ctx.def.printer ?? defaultPrinter;
    const conv = inc === 'Object' ? objs.map((o) => this.objects.toVersion(ctx.def, o, ctx.info.version)) : objs.map((o) => ({ ...o, apiVersion: apiVersionOf(ctx.def.group, ctx.info.version), kind: ctx.def.kind }));
    return toTable(printer, conv, Date.now(), { includeObject: inc, noHeaders });
  }

  private get(ctx: Ctx): void {
    const obj = this.objects.get(ctx.def, ctx.info.namespace, ctx.info.name!);
    this.sendObject(ctx, 200, obj);
  }

  private async list(ctx: Ctx): Promise<void> {
    const { def, info, query } = ctx;
    const filter = parseFilter(def, query.get('labelSelector'), query.get('fieldSelector'));
    const store = this.objects.store;
    await checkListResourceVersion(store, query);
    const rv = store.revision();
    let entries = store.list(storeResource(def), def.namespaced ? info.namespace : undefined);
    let start = 0;
    let listRv = rv;
    const cont = query.get('continue');
    if (cont) {
      const tok = decodeContinue(cont);
      if (tok.rv < store.oldestWatchable()) {
        throw apiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      listRv = tok.rv;
      start = entries.findIndex((e) => `${e.namespace}/${e.name}` > tok.key);
      if (start < 0) start = entries.length;
    }
    entries = entries.slice(start);
    const limit = Number(query.get('limit') ?? 0);
    const needParse = !!filter || wantsTable(ctx.req.headers.accept) || info.version !== def.storageVersion;
    let items: { json: string; obj?: KObject; key: string }[] = [];
    for (const e of entries) {
      const key = `${e.namespace}/${e.name}`;
      if (needParse) {
        const o = JSON.parse(e.json) as KObject;
        if (!matches(filter, o)) continue;
        items.push({ json: e.json, obj: o, key });
      } else items.push({ json: e.json, key });
    }
    let continueToken: string | undefined;
    let remaining: number | undefined;
    if (limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      continueToken = encodeContinue({ rv: listRv, key: items[items.length - 1].key });
    }
    const meta: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (continueToken) {
      meta.continue = continueToken;
      meta.remainingItemCount = remaining;
    }
    if (wantsTable(ctx.req.headers.accept)) {
      const t = this.table(ctx, items.map((i) => i.obj!)) as { metadata: Record<string, unknown> };
      t.metadata = meta;
      sendJSON(ctx.res, 200, t, TABLE_TYPE);
      return;
    }
    const head = JSON.stringify({ kind: def.listKind, apiVersion: apiVersionOf(def.group, info.version), metadata: meta });
    const body =
      head.slice(0, -1) +
      ',"items":[' +
      items.map((i) => (info.version !== def.storageVersion ? JSON.stringify(this.out(ctx, i.obj!)) : i.json)).join(',') +
      ']}';
    sendJSON(ctx.res, 200, body);
  }

  private async watch(ctx: Ctx): Promise<void> {
    const filter = parseFilter(ctx.def, ctx.query.get('labelSelector'), ctx.query.get('fieldSelector'));
    const rv = parseResourceVersion(ctx.query.get('resourceVersion'));
    if (rv > 0) await waitUntilFresh(this.objects.store, rv);
    serveWatch(this, ctx, filter);
  }

  // ---- writes ------------------------------------------------------------------------------

  private fieldValidation(ctx: Ctx): FieldValidation {
    const v = ctx.query.get('fieldValidation');
    if (v === null || v === '') return 'Warn';
    if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') {
      throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
    }
    return v;
  }

  /** Unknown fields: refused under Strict; otherwise dropped, with a Warning header each under Warn. */
  private checkFields(ctx: Ctx, obj: KObject, version: string): void {
    const mode = this.fieldValidation(ctx);
    if (mode === 'Strict') {
      const unknown = unknownFields(ctx.def.group, version, ctx.def.kind, obj);
      if (unknown.length) throw errors.badRequest(strictDecodingMessage(ctx.def.kind, version, unknown));
      return;
    }
    const dropped = pruneUnknownFields(ctx.def.group, version, ctx.def.kind, obj);
    if (mode === 'Warn' && dropped.length) ctx.res.setHeader('Warning', dropped.map((f) => warningHeaderValue(unknownFieldWarning(f))));
  }

  private dryRun(ctx: Ctx): boolean {
    const values = ctx.query.getAll('dryRun');
    for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}`);
    return values.length > 0;
  }

  /** Decodes a create/update body and checks it addresses this endpoint. */
  private async decodeBody(ctx: Ctx): Promise<{ obj: KObject; version: string }> {
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
    const decoded = this.checkKind(ctx, raw);
    this.checkTypes(ctx, decoded.obj, decoded.version);
    return decoded;
  }

  /** Typed decoding: a value of the wrong JSON type fails as it does decoding into the Go struct. */
  private checkTypes(ctx: Ctx, obj: KObject, version: string): void {
    const err = typeError(ctx.def.group, version, ctx.def.kind, obj);
    if (err) throw errors.badRequest(`${ctx.def.kind} in version "${version}" cannot be handled as a ${ctx.def.kind}: ${err}`);
  }

  private checkKind(ctx: Ctx, raw: unknown): { obj: KObject; version: string } {
    const { def, info } = ctx;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw errors.badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
    }
    const obj = raw as KObject;
    const want = apiVersionOf(def.group, info.version);
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
      const [g, v] = typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/') ? obj.apiVersion.split('/', 2) : ['', typeof obj.apiVersion === 'string' && obj.apiVersion ? obj.apiVersion : info.version];
      const other = typeof obj.kind === 'string' ? this.objects.reg.kind(g, obj.kind) : undefined;
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

  private namespaceFor(ctx: Ctx, obj: KObject): void {
    if (!ctx.def.namespaced) return;
    const urlNs = ctx.info.namespace;
    if (!urlNs) throw errors.notFoundPath();
    if (obj.metadata.namespace && obj.metadata.namespace !== urlNs) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = urlNs;
  }

  private async create(ctx: Ctx): Promise<void> {
    const { obj, version } = await this.decodeBody(ctx);
    this.namespaceFor(ctx, obj);
    this.checkFields(ctx, obj, version);
    const stored = this.objects.create(ctx.def, this.objects.toStorage(ctx.def, obj, version), {
      dryRun: this.dryRun(ctx),
      fieldManager: ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req),
      apiVersion: apiVersionOf(ctx.def.group, version),
    });
    this.sendObject(ctx, 201, stored);
  }

  private async update(ctx: Ctx, subresource?: string): Promise<void> {
    const { obj, version } = await this.decodeBody(ctx);
    this.namespaceFor(ctx, obj);
    if (obj.metadata.name !== undefined && obj.metadata.name !== ctx.info.name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
    }
    obj.metadata.name = ctx.info.name;
    this.checkFields(ctx, obj, version);
    const stored = this.objects.update(ctx.def, this.objects.toStorage(ctx.def, obj, version), {
      dryRun: this.dryRun(ctx),
      fieldManager: ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req),
      apiVersion: apiVersionOf(ctx.def.group, version),
      subresource,
    });
    this.sendObject(ctx, 200, stored);
  }

  private async patch(ctx: Ctx, subresource?: string): Promise<void> {
    const { def, info } = ctx;
    const ctype = mediaType(ctx.req.headers['content-type']);
    const type = patchTypeOf(ctype);
    if (!type) throw errors.unsupportedMediaType(ctype, PATCH_TYPES);
    const buf = await readBody(ctx.req);
    const text = buf.toString('utf8');
    let body: unknown;
    // JSON (what kubectl sends, apply included) is checked as Go's decoder does, which also
    // bounds its nesting before anything here walks it recursively.
    const json = type !== 'apply' || /^\s*[{[]/.test(text);
    const syntax = json ? goJsonSyntaxError(text) : undefined;
    if (syntax) throw errors.badRequest(`error decoding patch: ${syntax}`);
    try {
      body = json ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    // Merge-style patches mirror the object: a value of the wrong type fails here, as it would
    // decoding the patched object, before the merge walks it.
    if (type !== 'json' && body && typeof body === 'object' && !Array.isArray(body)) this.checkTypes(ctx, body as KObject, info.version);
    const dryRun = this.dryRun(ctx);
    const manager = ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req);
    const apiVersion = apiVersionOf(def.group, info.version);
    let live: KObject | undefined;
    try {
      live = this.out(ctx, this.objects.get(def, info.namespace, info.name!));
    } catch (e) {
      if (!(type === 'apply' && e instanceof ApiError && e.code === 404 && !subresource)) throw e;
    }
    let result: KObject;
    try {
      if (type === 'apply') {
        if (!ctx.query.get('fieldManager')) throw apiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('error decoding YAML: apply patch must be an object');
        const cfg = this.checkKind(ctx, body).obj;
        result = serverSideApply(live, cfg, manager!, ctx.query.get('force') === 'true', { group: def.group, kind: def.kind, apiVersion }) as KObject;
      } else {
        result = applyPatch(type, live!, body, { group: def.group, kind: def.kind }) as KObject;
      }
    } catch (e) {
      if (e instanceof PatchError) throw patchFailed(e);
      throw e;
    }
    if (!result || typeof result !== 'object' || typeof result.metadata !== 'object' || result.metadata === null) {
      throw errors.badRequest('the patch produced an object without metadata');
    }
    result.metadata.name = info.name;
    if (def.namespaced) result.metadata.namespace = info.namespace;
    result.apiVersion = apiVersion;
    result.kind = def.kind;
    this.checkTypes(ctx, result, info.version);
    this.checkFields(ctx, result, info.version);
    const storageObj = this.objects.toStorage(def, result, info.version);
    if (!live) {
      delete storageObj.metadata.resourceVersion;
      const created = this.objects.create(def, storageObj, { dryRun, fieldManager: manager, apiVersion, managedFieldsRecorded: type === 'apply' });
      this.sendObject(ctx, 201, created);
      return;
    }
    const stored = this.objects.update(def, storageObj, {
      dryRun,
      fieldManager: manager,
      apiVersion,
      // Server-side apply has already recorded its own managed fields (operation Apply).
      managedFieldsRecorded: type === 'apply',
      subresource,
    });
    this.sendObject(ctx, 200, stored);
  }

  private async deleteOptions(ctx: Ctx): Promise<DeleteOptions> {
    const buf = await readBody(ctx.req);
    let opts: DeleteOptions = {};
    if (buf.length) {
      try {
        const t = mediaType(ctx.req.headers['content-type']);
        const parsed = t === 'application/vnd.kubernetes.protobuf' ? decodeProtobuf(buf) : JSON.parse(buf.toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) opts = parsed as DeleteOptions;
        else throw new Error('not an object');
      } catch (e) {
        throw errors.badRequest(`error decoding DeleteOptions: ${(e as Error).message}`);
      }
    }
    const q = ctx.query;
    if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
    if (q.get('gracePeriodSeconds') !== null) opts.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
    if (q.get('orphanDependents') !== null) opts.orphanDependents = q.get('orphanDependents') === 'true';
    if (q.getAll('dryRun').length) opts.dryRun = this.dryRun(ctx);
    else if (Array.isArray((opts as { dryRun?: unknown }).dryRun)) opts.dryRun = ((opts as { dryRun?: unknown[] }).dryRun ?? []).length > 0;
    const p = opts.propagationPolicy;
    if (p !== undefined && p !== 'Background' && p !== 'Foreground' && p !== 'Orphan') {
      throw apiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan", "nil"`);
    }
    if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw errors.badRequest('invalid gracePeriodSeconds');
    return opts;
  }

  private async delete(ctx: Ctx): Promise<void> {
    const opts = await this.deleteOptions(ctx);
    const { obj, gone } = this.objects.delete(ctx.def, ctx.info.namespace, ctx.info.name!, opts);
    if (gone && ctx.def.kind !== 'Pod' && ctx.def.kind !== 'Service') {
      sendJSON(ctx.res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: obj.metadata.name, ...(ctx.def.group ? { group: ctx.def.group } : {}), kind: ctx.def.plural, uid: obj.metadata.uid },
      });
      return;
    }
    this.sendObject(ctx, gone ? 200 : 202, obj);
  }

  private async deleteCollection(ctx: Ctx): Promise<void> {
    const { def, info, query } = ctx;
    if (def.kind === 'Namespace') throw errors.methodNotAllowed();
    const opts = await this.deleteOptions(ctx);
    const filter: Filter | undefined = parseFilter(def, query.get('labelSelector'), query.get('fieldSelector'));
    const entries = this.objects.store.list(storeResource(def), def.namespaced ? info.namespace : undefined);
    const deleted: KObject[] = [];
    for (const e of entries) {
      const o = JSON.parse(e.json) as KObject;
      if (!matches(filter, o)) continue;
      try {
        deleted.push(this.objects.delete(def, e.namespace, e.name, opts).obj);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    sendJSON(ctx.res, 200, {
      kind: def.listKind,
      apiVersion: apiVersionOf(def.group, info.version),
      metadata: { resourceVersion: String(this.objects.store.revision()) },
      items: deleted.map((o) => this.out(ctx, o)),
    });
  }

  // ---- subresources ------------------------------------------------------------------------

  private async subresource(ctx: Ctx, sub: string, method: string): Promise<void> {
    const { def } = ctx;
    const extra = this.extraSubresources[`${def.group}/${def.plural}/${sub}`];
    if (extra && ctx.info.name) return extra(ctx);
    if (sub === 'status' && def.status) {
      if (method === 'GET') return this.get(ctx);
      if (method === 'PUT') return this.update(ctx, 'status');
      if (method === 'PATCH') return this.patch(ctx, 'status');
      throw errors.methodNotAllowed();
    }
    if (sub === 'finalize' && def.kind === 'Namespace') {
      if (method === 'PUT') return this.update(ctx, 'finalize');
      throw errors.methodNotAllowed();
    }
    if (sub === 'scale' && def.scale) return this.scale(ctx, method);
    if (sub === 'binding' && def.kind === 'Pod') {
      if (method !== 'POST') throw errors.methodNotAllowed();
      return this.bind(ctx);
    }
    if (def.connect?.includes(sub)) return this.connect(ctx, sub);
    throw errors.notFoundPath();
  }

  /** pods/binding: the scheduler's assignment of a pod to a node, as upstream's BindingREST. */
  private async bind(ctx: Ctx): Promise<void> {
    const { def, info } = ctx;
    const buf = await readBody(ctx.req);
    let binding: { metadata?: { name?: string }; target?: { kind?: string; name?: string } };
    try {
      const t = mediaType(ctx.req.headers['content-type']);
      binding = t === 'application/vnd.kubernetes.protobuf' ? decodeProtobuf(buf) : JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw errors.badRequest(`Binding in version "v1" cannot be handled as a Binding: ${(e as Error).message}`);
    }
    const node = binding?.target?.name;
    if (!node || (binding.target?.kind && binding.target.kind !== 'Node')) {
      throw apiError(422, 'Invalid', `Binding "${info.name}" is invalid: target.name: Required value`, {
        name: info.name,
        kind: 'Binding',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
      });
    }
    const pod = this.objects.get(def, info.namespace, info.name!);
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    const conflict = (why: string) => apiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${info.name}": ${why}`, { name: info.name, kind: 'pods/binding' });
    if (pod.metadata.deletionTimestamp) throw conflict(`pod ${info.name} is being deleted, cannot be assigned to a host`);
    if (spec.nodeName) throw conflict(`pod ${info.name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = node;
    pod.spec = spec;
    const status = (pod.status ??= {}) as { conditions?: { type: string; status: string; lastProbeTime?: null; lastTransitionTime?: string }[] };
    const conditions = (status.conditions ??= []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    status.conditions = conditions;
    this.objects.update(def, pod, { subresource: 'binding', dryRun: this.dryRun(ctx), fieldManager: ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req) });
    sendJSON(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private scaleOf(def: ResourceDef, obj: KObject): KObject {
    const s = def.scale!;
    const spec = readPath(obj, s.specReplicasPath) as number | undefined;
    const status = readPath(obj, s.statusReplicasPath) as number | undefined;
    const selector = s.selectorPath ? formatLabelSelector(readPath(obj, s.selectorPath) as LabelSelector) : undefined;
    const m = obj.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: spec ?? 0 },
      status: { replicas: status ?? 0, ...(selector !== undefined ? { selector } : {}) },
    };
  }

  private async scale(ctx: Ctx, method: string): Promise<void> {
    const { def, info } = ctx;
    const obj = this.objects.get(def, info.namespace, info.name!);
    if (method === 'GET') {
      sendJSON(ctx.res, 200, this.scaleOf(def, obj));
      return;
    }
    let scale: KObject;
    if (method === 'PUT') {
      const buf = await readBody(ctx.req);
      try {
        scale = JSON.parse(buf.toString('utf8')) as KObject;
      } catch (e) {
        throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
      }
    } else if (method === 'PATCH') {
      const ctype = mediaType(ctx.req.headers['content-type']);
      const type = patchTypeOf(ctype);
      if (!type || type === 'apply') throw errors.unsupportedMediaType(ctype, PATCH_TYPES.filter((t) => !t.includes('apply')));
      const buf = await readBody(ctx.req);
      let body: unknown;
      try {
        body = JSON.parse(buf.toString('utf8'));
      } catch (e) {
        throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
      }
      try {
        scale = applyPatch(type, this.scaleOf(def, obj), body, { group: 'autoscaling', kind: 'Scale' }) as KObject;
      } catch (e) {
        if (e instanceof PatchError) throw patchFailed(e);
        throw e;
      }
    } else throw errors.methodNotAllowed();
    if (!scale || typeof scale !== 'object') throw errors.badRequest('Scale body must be an object');
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw apiError(422, 'Invalid', `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, {
        name: info.name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
      });
    }
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== obj.metadata.resourceVersion) throw errors.conflict(def, info.name!);
    const next = structuredClone(obj);
    writePath(next, def.scale!.specReplicasPath, replicas);
    const stored = this.objects.update(def, next, { dryRun: this.dryRun(ctx), fieldManager: ctx.query.get('fieldManager') ?? managerFromAgent(ctx.req), subresource: undefined });
    sendJSON(ctx.res, 200, this.scaleOf(def, stored));
  }

  /** log, exec, attach, portforward: answered by the kubelet of the pod's node. */
  private async connect(ctx: Ctx, sub: string): Promise<void> {
    const { def, info } = ctx;
    const obj = this.objects.get(def, info.namespace, info.name!);
    if (def.kind !== 'Pod') throw errors.notFoundPath();
    const target = kubeletTarget(obj, sub, ctx.query);
    if (sub !== 'log') throw errors.badRequest('Upgrade request required');
    await proxyRequest(this.nodesDir, target.node, target.path, ctx.req, ctx.res);
  }

  /** The upgrade half of connect: exec, attach and portforward over WebSocket or SPDY. */
  upgrade(def: ResourceDef, info: RequestInfo, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (def.kind !== 'Pod' || !info.name || !info.subresource || info.subresource === 'log') throw errors.badRequest('this resource does not accept upgrade requests');
    const obj = this.objects.get(def, info.namespace, info.name);
    const target = kubeletTarget(obj, info.subresource, query);
    proxyUpgrade(this.nodesDir, target.node, target.path, req, socket, head);
  }
}

/** The Go package of a built-in group's versioned (`k8s.io/api/apps/v1`) or internal (`k8s.io/kubernetes/pkg/apis/apps`) types. */
function goPackage(group: string, version?: string): string {
  const short = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return version ? `k8s.io/api/${short}/${version}` : `k8s.io/kubernetes/pkg/apis/${short}`;
}

function patchFailed(e: PatchError): ApiError {
  return apiError(e.code, e.reason, e.message, e.causes?.length ? { causes: e.causes.map((c) => ({ ...c })) } : undefined);
}

function readPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (!o[p] || typeof o[p] !== 'object') o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}

/** Upstream derives a field manager from the User-Agent's program name when none is given. */
export function managerFromAgent(req: IncomingMessage): string | undefined {
  const ua = req.headers['user-agent'];
  if (!ua) return undefined;
  return ua.split('/')[0].slice(0, 128) || undefined;
}

function encodeContinue(t: { rv: number; key: string }): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.key })).toString('base64url');
}

function decodeContinue(s: string): { rv: number; key: string } {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return { rv: t.rv, key: t.start };
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
  }
}

