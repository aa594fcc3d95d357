import type { KObject, ResourceDef } from '../api/types.js';
import { ApiError, type Status } from '../api/errors.js';
import { openTransport, type Transport, type TransportResponse } from './transport/transport.js';

// The API client every component uses (ARCHITECTURE rule 1). It speaks plain JSON over
// HTTPS or, inside the control plane, plain HTTP over the apiserver's unix socket.

/**
 * Which collection a request addresses. `kind` lets informers stamp list items. T is the type of
 * the collection's objects (src/client/resources.ts), so informers and listers of it are typed.
 */
export interface Resource<T extends KObject = KObject> {
  group: string;
  version: string;
  plural: string;
  kind?: string;
  namespaced?: boolean;
  /** Never present: carries T (a method, so that every typed resource is still a Resource). */
  objectType?(obj: T): void;
}

export function resourceOf(def: ResourceDef, version: string = def.storageVersion): Resource {
  return { group: def.group, version, plural: def.plural, kind: def.kind, namespaced: def.namespaced };
}

export { ApiError, type Status } from '../api/errors.js';

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.body.reason !== 'AlreadyExists';
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.body.reason === 'AlreadyExists';
}
/** A create refused because the namespace is being deleted (NamespaceTerminatingCause). */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!(e instanceof ApiError) || e.status !== 403) return false;
  const causes = (e.body.details?.causes ?? []) as { type?: string }[];
  return causes.some((c) => c.type === 'NamespaceTerminating') || /because it is being terminated/.test(e.body.message ?? '');
}

export function isExpired(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 410 || e.body.reason === 'Expired' || e.body.reason === 'Gone');
}

/**
 * What client-go's metadata client sends: PartialObjectMetadata(List) in JSON, the object itself
 * from a server that cannot convert (the informer keeps only metadata either way).
 */
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface ListOptions {
  /** Only the objects' metadata, as meta.k8s.io PartialObjectMetadata (client-go's metadata client). */
  metadataOnly?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface ObjectList<T extends KObject = KObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions {
  metadataOnly?: boolean;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ApiClientOptions {
  /** The apiserver's unix socket (plain HTTP). Takes precedence over baseUrl. */
  socketPath?: string;
  /** e.g. https://127.0.0.1:6443 */
  baseUrl?: string;
  /** The bearer token, or where to get the current one (a mounted token that is rotated). */
  token: string | (() => string);
  /** PEM bundle that signs the apiserver's certificate. */
  ca?: string;
  userAgent?: string;
}

/** `/api/v1` or `/apis/{group}/{version}`, plus the namespace segment when given. */
export function collectionPath(res: Resource, namespace?: string): string {
  const root = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${res.plural}` : `${root}/${res.plural}`;
}

export function objectPath(res: Resource, namespace: string | undefined, name: string, subresource?: string): string {
  const p = `${collectionPath(res, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${p}/${subresource}` : p;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${k}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function describe(res: Resource, namespace?: string, name?: string): string {
  const gr = res.group ? `${res.plural}.${res.group}` : res.plural;
  const where = namespace ? `${namespace}/` : '';
  return name ? `${gr} ${where}${name}` : `${gr}${namespace ? ` in ${namespace}` : ''}`;
}

interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** What the caller was doing, for error messages. */
  what: string;
}

export class ApiClient {
  private transport?: Promise<Transport>;
  private readonly baseHeaders: Record<string, string>;
  private readonly token: () => string;

  constructor(private readonly opts: ApiClientOptions) {
    if (!opts.socketPath && !opts.baseUrl) throw new Error('ApiClient needs a socketPath or a baseUrl');
    const token = opts.token;
    this.token = typeof token === 'function' ? token : () => token;
    this.baseHeaders = {
      accept: 'application/json',
      'user-agent': opts.userAgent ?? 'skiff-controller-manager',
    };
  }

  /** Asked per request, so a rotated token is used from the next request on. */
  private get headers(): Record<string, string> {
    return { ...this.baseHeaders, authorization: `Bearer ${this.token()}` };
  }

  private send(r: Parameters<Transport['request']>[0]): Promise<TransportResponse> {
    this.transport ??= openTransport(this.opts);
    return this.transport.then((t) => t.request(r));
  }

  async close(): Promise<void> {
    if (this.transport) await (await this.transport).close();
  }

  /** A raw JSON request; used for the few paths that are not plain CRUD. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { ...this.headers, ...(opts.accept ? { accept: opts.accept } : {}) };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    let res: TransportResponse;
    try {
      res = await this.send({ method, path, headers, body, signal: opts.signal });
    } catch (e) {
      throw new Error(`${opts.what}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    if (res.statusCode >= 400) throw new ApiError(res.statusCode, parseStatus(text, res.statusCode), opts.what);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KObject>(res: Resource<T>, namespace: string | undefined, name: string): Promise<T> {
    return this.request('GET', objectPath(res, namespace, name), { what: `getting ${describe(res, namespace, name)}` });
  }

  list<T extends KObject>(res: Resource<T>, namespace?: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const q = query({
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      limit: opts.limit,
      continue: opts.continue,
      resourceVersion: opts.resourceVersion,
    });
    return this.request('GET', collectionPath(res, namespace) + q, { what: `listing ${describe(res, namespace)}`, ...(opts.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}) });
  }

  create(res: Resource, namespace: string | undefined, obj: KObject): Promise<KObject> {
    const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
    return this.request('POST', collectionPath(res, namespace), { body: obj, what: `creating ${describe(res, namespace, name)}` });
  }

  /** POST to a subresource that creates something of its own, e.g. serviceaccounts/token (a TokenRequest). */
  createSubresource<T = KObject>(res: Resource, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<T> {
    return this.request('POST', objectPath(res, namespace, name, subresource), { body, what: `creating ${subresource} for ${describe(res, namespace, name)}` });
  }

  /** PUT the object (or one of its subresources, e.g. `status`, `finalize`). */
  update(res: Resource, obj: KObject, subresource?: string): Promise<KObject> {
    const ns = res.namespaced === false ? undefined : obj.metadata.namespace;
    const name = obj.metadata.name ?? '';
    const what = `updating ${subresource ? `${subresource} of ` : ''}${describe(res, ns, name)}`;
    return this.request('PUT', objectPath(res, ns, name, subresource), { body: obj, what });
  }

  updateStatus(res: Resource, obj: KObject): Promise<KObject> {
    return this.update(res, obj, 'status');
  }

  patch(res: Resource, namespace: string | undefined, name: string, type: PatchType, body: unknown, subresource?: string): Promise<KObject> {
    const q = type === 'apply' ? query({ fieldManager: 'skiff-controller-manager' }) : '';
    return this.request('PATCH', objectPath(res, namespace, name, subresource) + q, {
      body,
      contentType: PATCH_CONTENT_TYPES[type],
      what: `patching ${describe(res, namespace, name)}`,
    });
  }

  delete(res: Resource, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...opts };
    return this.request('DELETE', objectPath(res, namespace, name), { body, what: `deleting ${describe(res, namespace, name)}` });
  }

  /**
   * Streams watch events to onEvent until the server ends the stream or signal aborts.
   * Resolves on a clean end or abort; rejects when the request itself fails.
   */
  async watch(
    res: Resource,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const q = query({
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      timeoutSeconds: opts.timeoutSeconds,
    });
    const what = `watching ${describe(res, namespace)}`;
    let resp: TransportResponse;
    try {
      resp = await this.send({
        method: 'GET',
        path: collectionPath(res, namespace) + q,
        headers: { ...this.headers, ...(opts.metadataOnly ? { accept: METADATA_WATCH_ACCEPT } : {}) },
        signal,
        stream: true, // an idle watch is normal
      });
    } catch (e) {
      if (signal?.aborted) return;
      throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
    }
    if (resp.statusCode >= 400) {
      throw new ApiError(resp.statusCode, parseStatus(await resp.text(), resp.statusCode), what);
    }
    const decoder = new LineDecoder();
    try {
      for await (const chunk of resp.body) {
        for (const line of decoder.push(chunk)) onEvent(JSON.parse(line) as WatchEvent);
      }
      const rest = decoder.end();
      if (rest) onEvent(JSON.parse(rest) as WatchEvent);
    } catch (e) {
      if (signal?.aborted) return;
      throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Splits a byte stream into complete lines without re-decoding what it already scanned. */
export class LineDecoder {
  private buf = '';
  private readonly td = new TextDecoder();
  push(chunk: Uint8Array): string[] {
    this.buf += this.td.decode(chunk, { stream: true });
    const out: string[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (line) out.push(line);
    }
    return out;
  }
  end(): string {
    const rest = (this.buf + this.td.decode()).trim();
    this.buf = '';
    return rest;
  }
}

function parseStatus(text: string, code: number): Status {
  try {
    const s = JSON.parse(text) as Status;
    if (s && typeof s === 'object') return s;
  } catch {
    // not JSON: fall through and wrap the text
  }
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message: text || `HTTP ${code}` };
}
