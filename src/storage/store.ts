import type { KObject } from '../api/types.js';
import { SqliteBackend, type EventType } from './sqlite.js';

export type { EventType };

/** A stored object: its revision and its serialized form (resourceVersion already inside). */
export interface Entry {
  rv: number;
  namespace: string;
  name: string;
  json: string;
}

export interface WatchEvent extends Entry {
  type: EventType;
  resource: string;
  /** The previous state for MODIFIED/DELETED, so selector watches can tell entering from leaving. */
  prevJson?: string;
}

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly oldest?: number,
  ) {
    super(message);
  }
}

interface Watcher {
  namespace?: string;
  fn: (ev: WatchEvent) => void;
}

const DEFAULT_HISTORY = 10_000;

/**
 * The object store: every object in memory (the watch cache) over a durable SQLite backend,
 * one revision counter for all writes, and a bounded history of changes for watch replay.
 * All methods are synchronous; a write is durable when the method returns.
 */
export class Store {
  private objects = new Map<string, Map<string, Entry>>(); // resource → "ns/name" → entry
  private history: WatchEvent[] = [];
  private historyStart = 0; // index of the oldest live element (ring without copying)
  private windowStart: number; // replay is complete for any rv >= windowStart
  private rev: number;
  private watchers = new Map<string, Set<Watcher>>();
  private writesSincePrune = 0;

  private constructor(
    private backend: SqliteBackend,
    private historySize: number,
  ) {
    this.rev = backend.revision();
    for (const r of backend.loadObjects()) {
      this.bucket(r.resource).set(`${r.namespace}/${r.name}`, { rv: r.rv, namespace: r.namespace, name: r.name, json: r.json });
    }
    const changes = backend.loadChanges(historySize);
    for (const c of changes) {
      this.history.push({ type: c.type, resource: c.resource, namespace: c.namespace, name: c.name, rv: c.rv, json: c.json });
    }
    this.windowStart = changes.length > 0 ? changes[0].rv - 1 : this.rev;
  }

  static open(dir: string, opts: { historySize?: number } = {}): Store {
    return new Store(new SqliteBackend(dir), opts.historySize ?? DEFAULT_HISTORY);
  }

  revision(): number {
    return this.rev;
  }

  /** The oldest resourceVersion a watch can start from. */
  oldestWatchable(): number {
    return this.windowStart;
  }

  get(resource: string, namespace: string, name: string): Entry | undefined {
    return this.objects.get(resource)?.get(`${namespace}/${name}`);
  }

  /** Entries of a resource, in one namespace or all, sorted by namespace then name as etcd does. */
  list(resource: string, namespace?: string): Entry[] {
    const b = this.objects.get(resource);
    if (!b) return [];
    const out: Entry[] = [];
    for (const e of b.values()) if (namespace === undefined || e.namespace === namespace) out.push(e);
    out.sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
    return out;
  }

  count(resource: string, namespace?: string): number {
    const b = this.objects.get(resource);
    if (!b) return 0;
    if (namespace === undefined) return b.size;
    let n = 0;
    for (const e of b.values()) if (e.namespace === namespace) n++;
    return n;
  }

  create(resource: string, obj: KObject): Entry {
    const { namespace, name } = idOf(obj);
    if (this.get(resource, namespace, name)) throw new StoreError('AlreadyExists', `${resource} ${namespace}/${name} already exists`);
    return this.write('ADDED', resource, obj);
  }

  /** Replaces the object; with expectRv, fails with Conflict if the stored revision differs. */
  update(resource: string, obj: KObject, expectRv?: number): Entry {
    const { namespace, name } = idOf(obj);
    const cur = this.get(resource, namespace, name);
    if (!cur) throw new StoreError('NotFound', `${resource} ${namespace}/${name} not found`);
    if (expectRv !== undefined && expectRv !== cur.rv) throw new StoreError('Conflict', `${resource} ${namespace}/${name} changed`);
    return this.write('MODIFIED', resource, obj, cur);
  }

  /** Removes the object; the DELETED event carries its last state at a new revision. */
  delete(resource: string, namespace: string, name: string, expectRv?: number): Entry {
    const cur = this.get(resource, namespace, name);
    if (!cur) throw new StoreError('NotFound', `${resource} ${namespace}/${name} not found`);
    if (expectRv !== undefined && expectRv !== cur.rv) throw new StoreError('Conflict', `${resource} ${namespace}/${name} changed`);
    return this.write('DELETED', resource, JSON.parse(cur.json) as KObject, cur);
  }

  /**
   * Streams changes of a resource after `fromRv` (replayed from history, then live). Without
   * fromRv only live changes are sent. Throws Expired when fromRv is older than the history.
   */
  watch(resource: string, namespace: string | undefined, fromRv: number | undefined, fn: (ev: WatchEvent) => void): () => void {
    if (fromRv !== undefined && fromRv < this.windowStart) {
      throw new StoreError('Expired', `too old resource version: ${fromRv} (${this.windowStart})`, this.windowStart);
    }
    if (fromRv !== undefined) {
      for (let i = this.firstAfter(fromRv); i < this.history.length; i++) {
        const ev = this.history[i];
        if (ev.resource === resource && (namespace === undefined || ev.namespace === namespace)) fn(ev);
      }
    }
    const w: Watcher = { namespace, fn };
    let set = this.watchers.get(resource);
    if (!set) this.watchers.set(resource, (set = new Set()));
    set.add(w);
    return () => set!.delete(w);
  }

  close(): void {
    this.watchers.clear();
    this.backend.close();
  }

  private write(type: EventType, resource: string, obj: KObject, prev?: Entry): Entry {
    const { namespace, name } = idOf(obj);
    const rv = this.rev + 1;
    obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(obj);
    this.backend.write(type, { resource, namespace, name, rv, json });
    this.rev = rv;
    const entry: Entry = { rv, namespace, name, json };
    const key = `${namespace}/${name}`;
    if (type === 'DELETED') this.objects.get(resource)?.delete(key);
    else this.bucket(resource).set(key, entry);
    const ev: WatchEvent = { type, resource, namespace, name, rv, json, prevJson: prev?.json };
    this.remember(ev);
    const set = this.watchers.get(resource);
    if (set) {
      for (const w of set) {
        if (w.namespace !== undefined && w.namespace !== namespace) continue;
        try {
          w.fn(ev);
        } catch {
          // A broken watcher must not fail the write that is already durable.
          set.delete(w);
        }
      }
    }
    return entry;
  }

  private remember(ev: WatchEvent): void {
    this.history.push(ev);
    if (this.history.length - this.historyStart > this.historySize) {
      this.windowStart = this.history[this.historyStart].rv;
      this.historyStart++;
      if (this.historyStart > this.historySize) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
    if (++this.writesSincePrune >= 1000) {
      this.writesSincePrune = 0;
      this.backend.prune(this.windowStart);
    }
  }

  /** Index of the first history event with rv > fromRv (binary search; rvs ascend). */
  private firstAfter(fromRv: number): number {
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].rv <= fromRv) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private bucket(resource: string): Map<string, Entry> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }
}

function idOf(obj: KObject): { namespace: string; name: string } {
  const name = obj.metadata?.name;
  if (!name) throw new Error('storing an object without metadata.name');
  return { namespace: obj.metadata.namespace ?? '', name };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
