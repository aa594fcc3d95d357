import type { KObject } from '../../../src/api/types.js';
import type { ObjectList, Resource, WatchEvent } from '../../../src/client/client.js';
import { ApiError } from '../../../src/client/client.js';

// A tiny in-memory apiserver for loop tests: list/watch per resource, and the writes the
// scheduler and node controllers make (binding, status patches, deletes, events).

export interface Call {
  method: string;
  path: string;
  body?: unknown;
}

export class FakeApi {
  private store = new Map<string, Map<string, KObject>>();
  private watchers = new Map<string, Set<(ev: WatchEvent) => void>>();
  private rv = 1;
  calls: Call[] = [];
  events: KObject[] = [];
  /** Return an ApiError for a call instead of performing it. */
  fail?: (c: Call) => ApiError | undefined;

  private key(o: KObject) {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`;
  }

  private bucket(plural: string) {
    let b = this.store.get(plural);
    if (!b) this.store.set(plural, (b = new Map()));
    return b;
  }

  put(plural: string, obj: KObject, type: 'ADDED' | 'MODIFIED' = 'ADDED'): void {
    obj.metadata.resourceVersion = String(++this.rv);
    this.bucket(plural).set(this.key(obj), obj);
    for (const w of this.watchers.get(plural) ?? []) w({ type, object: structuredClone(obj) });
  }

  remove(plural: string, ns: string | undefined, name: string): void {
    const k = ns ? `${ns}/${name}` : name;
    const obj = this.bucket(plural).get(k);
    if (!obj) return;
    this.bucket(plural).delete(k);
    obj.metadata.resourceVersion = String(++this.rv);
    for (const w of this.watchers.get(plural) ?? []) w({ type: 'DELETED', object: structuredClone(obj) });
  }

  get(plural: string, ns: string | undefined, name: string): KObject | undefined {
    return this.bucket(plural).get(ns ? `${ns}/${name}` : name);
  }

  async list(res: Resource): Promise<ObjectList> {
    return { metadata: { resourceVersion: String(this.rv) }, items: [...this.bucket(res.plural).values()].map((o) => structuredClone(o)) };
  }

  watch(res: Resource, _ns: string | undefined, _o: unknown, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    let set = this.watchers.get(res.plural);
    if (!set) this.watchers.set(res.plural, (set = new Set()));
    set.add(onEvent);
    return new Promise((resolve) => signal?.addEventListener('abort', () => {
      set.delete(onEvent);
      resolve();
    }));
  }

  private record(c: Call): void {
    this.calls.push(c);
    const err = this.fail?.(c);
    if (err) throw err;
  }

  async request(method: string, path: string, opts: { body?: unknown }): Promise<unknown> {
    this.record({ method, path, body: opts.body });
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/binding$/.exec(path);
    if (method === 'POST' && m) {
      const pod = this.get('pods', m[1], m[2]);
      if (!pod) throw new ApiError(404, { reason: 'NotFound', message: 'not found' }, 'binding');
      const target = (opts.body as { target: { name: string } }).target.name;
      this.put('pods', { ...pod, spec: { ...(pod.spec as object), nodeName: target } }, 'MODIFIED');
      return {};
    }
    throw new Error(`unexpected request ${method} ${path}`);
  }

  async create(res: Resource, _ns: string | undefined, obj: KObject): Promise<KObject> {
    if (res.plural === 'events') {
      this.events.push(obj);
      return obj;
    }
    throw new Error(`unexpected create of ${res.plural}`);
  }

  async patch(res: Resource, ns: string | undefined, name: string, type: string, body: unknown, sub?: string): Promise<KObject> {
    this.record({ method: 'PATCH', path: `${res.plural}/${ns ?? ''}/${name}${sub ? `/${sub}` : ''}`, body: { type, body } });
    if (res.plural === 'events') return {} as KObject;
    const obj = this.get(res.plural, ns, name);
    if (!obj) throw new ApiError(404, { reason: 'NotFound', message: `${res.plural} "${name}" not found` }, 'patching');
    const next = structuredClone(obj);
    if (type === 'strategic') {
      const b = body as { status?: { conditions?: { type: string }[]; [k: string]: unknown } };
      const status = (next.status ?? {}) as { conditions?: { type: string }[]; [k: string]: unknown };
      for (const [k, v] of Object.entries(b.status ?? {})) {
        if (k !== 'conditions') status[k] = v;
      }
      for (const c of b.status?.conditions ?? []) {
        const list = (status.conditions ??= []);
        const i = list.findIndex((x) => x.type === c.type);
        if (i >= 0) list[i] = { ...list[i], ...c };
        else list.push(c);
      }
      next.status = status;
    } else if (type === 'json') {
      for (const op of body as { op: string; path: string; value?: unknown }[]) {
        if (op.path === '/spec/taints') {
          const spec = (next.spec ??= {}) as { taints?: unknown };
          if (op.op === 'remove') delete spec.taints;
          else if (op.op !== 'test') spec.taints = op.value;
        }
      }
    }
    this.put(res.plural, next, 'MODIFIED');
    return next;
  }

  async delete(res: Resource, ns: string | undefined, name: string, opts: unknown): Promise<KObject> {
    this.record({ method: 'DELETE', path: `${res.plural}/${ns ?? ''}/${name}`, body: opts });
    if (!this.get(res.plural, ns, name)) throw new ApiError(404, { reason: 'NotFound', message: 'not found' }, 'deleting');
    this.remove(res.plural, ns, name);
    return {} as KObject;
  }
}

/** Polls until check() returns a value other than undefined/false, or fails after `ms`. */
export async function until<T>(check: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
