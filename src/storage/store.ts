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

/**
 * The watch history's bounds, after upstream's watch cache (k8s.io/apiserver cacher/watch_cache.go):
 * changes stay at least eventFreshDuration (75 s) and at least defaultLowerBoundCapacity (100)
 * deep, so a watch that broke reconnects without a relist; beyond that a change is dropped, so the
 * history costs what the last 75 s of writes cost, not 10,000 stored versions (100 loaded HPAs
 * writing their status every sync filled that in 25 minutes). DEFAULT_HISTORY stays the upper
 * bound. Upstream keeps a history per resource and sends bookmarks, so a watch of a quiet resource
 * never falls behind its window; here one history holds every resource, and a watch expires only
 * when changes of its own resource were dropped (oldestWatchableOf).
 */
const DEFAULT_HISTORY = 10_000;
const MIN_HISTORY = 100;
/** How long a change is kept for watch replay, beyond the fewest kept. */
export const HISTORY_FRESH_MS = 75_000;
const DEAD_BATCH = 128;

export interface StoreOptions {
  /** The most changes kept for watch replay, however fresh. */
  historySize?: number;
  /** The fewest changes kept, however old. */
  minHistory?: number;
  /** How long a change is kept for replay once there are more than minHistory. */
  freshMs?: number;
  /** The clock history ages by (tests). */
  now?: () => number;
}

/**
 * The object store: every object in memory (the watch cache) over a durable SQLite backend,
 * one revision counter for all writes, and a bounded history of changes for watch replay.
 * All methods are synchronous; a write is durable when the method returns.
 */
export class Store {
  private objects = new Map<string, Map<string, Entry>>(); // resource → "ns/name" → entry
  private history: WatchEvent[] = [];
  /** When each change of history was made (ms), index for index. */
  private historyAt: number[] = [];
  private historyStart = 0; // index of the oldest live element (ring without copying)
  private windowStart: number; // replay is complete for any rv >= windowStart
  /** Replay of a resource is complete from here: the changes before the loaded history, or the newest of its own dropped since. */
  private readonly loadedFrom: number;
  private readonly droppedUpTo = new Map<string, number>();
  private rev: number;
  private watchers = new Map<string, Set<Watcher>>();
  private writesSincePrune = 0;
  private readonly historySize: number;
  private readonly minHistory: number;
  private readonly freshMs: number;
  private readonly now: () => number;

  private constructor(
    private backend: SqliteBackend,
    opts: StoreOptions,
  ) {
    this.historySize = opts.historySize ?? DEFAULT_HISTORY;
    this.minHistory = Math.min(opts.minHistory ?? MIN_HISTORY, this.historySize);
    this.freshMs = opts.freshMs ?? HISTORY_FRESH_MS;
    this.now = opts.now ?? Date.now;
    this.rev = backend.revision();
    for (const r of backend.loadObjects()) {
      this.bucket(r.resource).set(`${r.namespace}/${r.name}`, { rv: r.rv, namespace: r.namespace, name: r.name, json: r.json });
    }
    const changes = backend.loadChanges(this.historySize);
    // Changes from before a restart count as fresh: watchers of the last run reconnect to them.
    const loadedAt = this.now();
    for (const c of changes) {
      this.history.push({ type: c.type, resource: c.resource, namespace: c.namespace, name: c.name, rv: c.rv, json: c.json });
      this.historyAt.push(loadedAt);
    }
    this.windowStart = changes.length > 0 ? changes[0].rv - 1 : this.rev;
    this.loadedFrom = this.windowStart;
  }

  static open(dir: string, opts: StoreOptions = {}): Store {
    return new Store(new SqliteBackend(dir), opts);
  }

  revision(): number {
    return this.rev;
  }

  /** The oldest resourceVersion from which the history holds every change of every resource. */
  oldestWatchable(): number {
    return this.windowStart;
  }

  /** The oldest resourceVersion a watch of resource can start from: dropped changes of other resources do not expire it. */
  oldestWatchableOf(resource: string): number {
    return Math.max(this.loadedFrom, this.droppedUpTo.get(resource) ?? 0);
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
    const oldest = this.oldestWatchableOf(resource);
    if (fromRv !== undefined && fromRv < oldest) {
      throw new StoreError('Expired', `too old resource version: ${fromRv} (${oldest})`, oldest);
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
    const now = this.now();
    this.history.push(ev);
    this.historyAt.push(now);
    for (;;) {
      const kept = this.history.length - this.historyStart;
      if (kept <= this.minHistory) break;
      if (kept <= this.historySize && now - this.historyAt[this.historyStart]! < this.freshMs) break;
      const dropped = this.history[this.historyStart]!;
      this.windowStart = dropped.rv;
      this.droppedUpTo.set(dropped.resource, dropped.rv);
      this.historyStart++;
    }
    // Dropped changes are let go in batches: a dead prefix of at most DEAD_BATCH, or of the live part's length.
    if (this.historyStart >= DEAD_BATCH || this.historyStart > this.history.length - this.historyStart) {
      this.history = this.history.slice(this.historyStart);
      this.historyAt = this.historyAt.slice(this.historyStart);
      this.historyStart = 0;
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
