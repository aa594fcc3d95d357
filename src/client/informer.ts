import type { KObject } from '../api/types.js';
import { apiVersionOf } from '../api/types.js';
import { selectorMatches, type LabelSelector } from '../api/selectors.js';
import type { ApiClient, ListOptions, ObjectList, Resource, WatchEvent, WatchOptions } from './client.js';
import { isExpired } from './client.js';
import { log as defaultLog, type Logger } from '../log.js';

// List-then-watch with an in-memory store, as client-go's reflector + indexer. Handlers see
// every change once; after a 410 (history compacted) or a failed watch the informer lists
// again and reports the difference to the store, so no delete is lost across a gap.

export interface EventHandler<T extends KObject = KObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

/** Reads an informer's cache, as client-go's generated listers do: no request reaches the API. */
export interface Lister<T extends KObject = KObject> {
  /** The cached objects, of one namespace if given, and only those whose labels `selector` matches if given. */
  list(namespace?: string, selector?: LabelSelector): T[];
  get(namespace: string | undefined, name: string): T | undefined;
}

/** What the controller loop needs from an informer; tests supply fakes. */
export interface InformerLike<T extends KObject = KObject> extends Lister<T> {
  addHandler(h: EventHandler<T>): void;
  start(): void;
  stop(): Promise<void>;
  waitForSync(): Promise<void>;
}

/** The subset of ApiClient an informer uses (untyped: the informer types what it stores). */
export interface ListWatcher {
  list(res: Resource, namespace?: string, opts?: ListOptions): Promise<ObjectList>;
  watch: ApiClient['watch'];
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size for the initial list. */
  pageSize?: number;
  /** Keep only metadata, listed and watched as PartialObjectMetadata (client-go's metadatainformer). */
  metadataOnly?: boolean;
  /**
   * What the store keeps of each object, applied once as it arrives (client-go's SetTransform):
   * a component that reads a few fields need not hold the rest.
   */
  transform?: (obj: KObject) => KObject;
  log?: Logger;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function keyOfObject(obj: KObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : `${obj.metadata.name}`;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export class Informer<T extends KObject = KObject> implements InformerLike<T> {
  private store = new Map<string, T>();
  private handlers: EventHandler<T>[] = [];
  private abort = new AbortController();
  private running?: Promise<void>;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private readonly log: Logger;
  private readonly apiVersion: string;

  constructor(
    private readonly client: ListWatcher,
    readonly resource: Resource<T>,
    private readonly opts: InformerOptions = {},
  ) {
    this.log = opts.log ?? defaultLog;
    this.apiVersion = apiVersionOf(resource.group, resource.version);
  }

  addHandler(h: EventHandler<T>): void {
    this.handlers.push(h);
    // A handler added late still learns about what is already known.
    if (this.synced) for (const obj of this.store.values()) h.add?.(obj);
  }

  start(): void {
    if (this.running) return;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  list(namespace?: string, selector?: LabelSelector): T[] {
    const out: T[] = [];
    for (const obj of this.store.values()) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (selector && !selectorMatches(selector, obj.metadata.labels)) continue;
      out.push(obj);
    }
    return out;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  private describe(): string {
    const r = this.resource;
    return `${r.group ? `${r.plural}.${r.group}` : r.plural}${this.opts.namespace ? ` in ${this.opts.namespace}` : ''}`;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let backoff = 500;
    while (!signal.aborted) {
      try {
        let rv = await this.relist();
        backoff = 500;
        // Re-watch from the last seen version after a clean end (server timeout); only a
        // 410 or an error costs a full list.
        while (!signal.aborted) {
          const result = await this.watchOnce(rv, signal);
          if (result.expired) break;
          rv = result.rv;
        }
      } catch (e) {
        if (signal.aborted) break;
        this.log('error', 'informer: list or watch failed; retrying', { resource: this.describe(), error: (e as Error).message, retryInMs: backoff });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async relist(): Promise<string> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const opts: ListOptions = {
        metadataOnly: this.opts.metadataOnly,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
      };
      const page: ObjectList = await this.client.list(this.resource, this.opts.namespace, opts);
      for (const it of page.items ?? []) items.push(this.stamp(it));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.replace(items);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    return rv;
  }

  private async watchOnce(rv: string, signal: AbortSignal): Promise<{ expired: boolean; rv: string }> {
    let expired = false;
    let last = rv;
    const opts: WatchOptions = {
      metadataOnly: this.opts.metadataOnly,
      resourceVersion: rv,
      allowWatchBookmarks: true,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      // Randomised like client-go's reflector so watches do not all end together.
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
    };
    try {
      await this.client.watch(
        this.resource,
        this.opts.namespace,
        opts,
        (ev: WatchEvent) => {
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; reason?: string; message?: string };
            if (st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone') expired = true;
            else this.log('error', 'informer: watch error', { resource: this.describe(), error: st.message ?? JSON.stringify(st) });
            return;
          }
          const objRv = ev.object?.metadata?.resourceVersion;
          if (objRv) last = objRv;
          if (ev.type !== 'BOOKMARK') this.apply(ev);
        },
        signal,
      );
    } catch (e) {
      if (isExpired(e)) return { expired: true, rv: last };
      throw e;
    }
    return { expired, rv: last };
  }

  /** The one place an object from the wire becomes a T: the API serves this resource's kind. */
  private stamp(wire: KObject): T {
    const obj = this.opts.transform ? this.opts.transform(wire) : wire;
    if (!obj.kind && this.resource.kind) obj.kind = this.resource.kind;
    if (!obj.apiVersion) obj.apiVersion = this.apiVersion;
    return obj as T;
  }

  private apply(ev: WatchEvent): void {
    const obj = this.stamp(ev.object);
    const key = keyOfObject(obj);
    const old = this.store.get(key);
    if (ev.type === 'DELETED') {
      this.store.delete(key);
      for (const h of this.handlers) h.delete?.(obj);
      return;
    }
    this.store.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.update?.(old, obj);
      else h.add?.(obj);
    }
  }

  private replace(items: T[]): void {
    const fresh = new Map<string, T>();
    for (const it of items) fresh.set(keyOfObject(it), it);
    const old = this.store;
    this.store = fresh;
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      for (const h of this.handlers) {
        if (!prev) h.add?.(obj);
        else if (prev.metadata.resourceVersion !== obj.metadata.resourceVersion) h.update?.(prev, obj);
      }
    }
    for (const [key, prev] of old) {
      if (!fresh.has(key)) for (const h of this.handlers) h.delete?.(prev);
    }
  }
}

/**
 * kube-controller-manager's informer transform: managedFields are the API server's bookkeeping of
 * who wrote which field, which no controller reads, and they are often the larger part of an
 * object's metadata (a FieldsV1 tree per writer). The server keeps them across an update that
 * omits them, so a controller writing back a cached object loses nothing.
 */
export function stripManagedFields<T extends KObject>(obj: T): T {
  if (obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

/** One informer per resource shared by every controller, as client-go's SharedInformerFactory. */
export class SharedInformers {
  private informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly client: ListWatcher,
    private readonly log?: Logger,
    /** Applied to every object of every informer (client-go's WithTransform). */
    private readonly transform?: (obj: KObject) => KObject,
  ) {}

  informer<T extends KObject>(res: Resource<T>): Informer<T> {
    const key = `${res.group}/${res.plural}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, res as Resource, { log: this.log, transform: this.transform });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    // One informer per group and plural, and a resource's type follows from them.
    return inf as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
