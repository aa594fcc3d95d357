// The structured-merge-diff operations server-side apply is built from, on plain JSON
// guided by the schema table: the field set of a value, the comparison of two values, the
// merge of an applied configuration into a live object, and removal of paths.
import { FieldSet, fieldElement, keyElement, valueElement, type Path } from './fieldPath.js';
import { deepEqual } from '../../api/equality.js';
import { fieldSchema, type ListSchema, type Schema } from './schema.js';

type Obj = Record<string, unknown>;

export class SchemaError extends Error {}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


function asList(s: Schema | undefined): ListSchema | undefined {
  return s?.kind === 'list' ? s : undefined;
}

/** Lists without a declared list type are atomic, as upstream treats unannotated lists. */
function granularList(s: Schema | undefined): ListSchema | undefined {
  const l = asList(s);
  return l && l.listType !== 'atomic' ? l : undefined;
}

function atomicStruct(s: Schema | undefined): boolean {
  return s?.kind === 'struct' && s.atomic === true;
}

function pathText(path: Path): string {
  return path.map((el) => (el.startsWith('f:') ? `.${el.slice(2)}` : `[${el.slice(2)}]`)).join('');
}

/** The path element naming a list item; undefined when the list is not associative. */
export function itemElement(list: ListSchema, item: unknown, index: number, path: Path): string {
  if (list.listType === 'set') return valueElement(item);
  const key: Obj = {};
  for (const k of list.keys ?? []) {
    let v = isObject(item) ? item[k] : undefined;
    if (v === undefined || v === null) v = list.keyDefaults?.[k];
    if (v === undefined) {
      throw new SchemaError(`${pathText(path)}: element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    }
    key[k] = v;
  }
  return keyElement(key);
}

function itemElements(list: ListSchema, items: unknown[], path: Path): string[] {
  const seen = new Set<string>();
  return items.map((item, i) => {
    const el = itemElement(list, item, i, path);
    if (seen.has(el)) throw new SchemaError(`${pathText(path)}: duplicate entries for key ${el.slice(2)}`);
    seen.add(el);
    return el;
  });
}

/** Every leaf field and item the value mentions (TypedValue.ToFieldSet). */
export function toFieldSet(value: unknown, schema: Schema | undefined): FieldSet {
  const out = new FieldSet();
  const walk = (v: unknown, s: Schema | undefined, path: Path) => {
    if (Array.isArray(v)) {
      const list = granularList(s);
      if (!list) {
        out.add(path);
        return;
      }
      const els = itemElements(list, v, path);
      v.forEach((item, i) => {
        const p = [...path, els[i]];
        walk(item, list.items, p);
        out.add(p);
      });
      return;
    }
    if (isObject(v)) {
      if (atomicStruct(s)) {
        out.add(path);
        return;
      }
      for (const [k, x] of Object.entries(v)) {
        const p = [...path, fieldElement(k)];
        walk(x, fieldSchema(s, k), p);
        if (x === null || (isObject(x) && Object.keys(x).length === 0) || s?.kind === 'map') out.add(p);
      }
      return;
    }
    out.add(path);
  };
  walk(value, schema, []);
  return out;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

type Shape = 'map' | 'list' | 'leaf';

/** How two values are walked together: as a map, a list, or compared whole. */
function shapeOf(l: unknown, r: unknown, s: Schema | undefined): Shape {
  const emptyish = (v: unknown) => v === undefined || v === null;
  const isList = (v: unknown) => Array.isArray(v) || emptyish(v);
  const isMap = (v: unknown) => isObject(v) || emptyish(v);
  if ((Array.isArray(l) || Array.isArray(r)) && isList(l) && isList(r)) {
    if (!granularList(s)) return 'leaf';
    const empty = (v: unknown) => emptyish(v) || (v as unknown[]).length === 0;
    return empty(l) && empty(r) ? 'leaf' : 'list';
  }
  if ((isObject(l) || isObject(r)) && isMap(l) && isMap(r)) {
    if (atomicStruct(s)) return 'leaf';
    const empty = (v: unknown) => emptyish(v) || Object.keys(v as Obj).length === 0;
    return empty(l) && empty(r) ? 'leaf' : 'map';
  }
  return 'leaf';
}

/** Fields added, modified and removed going from `lhs` to `rhs` (TypedValue.Compare). */
export function compare(lhs: unknown, rhs: unknown, schema: Schema | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, s: Schema | undefined, path: Path) => {
    // One value on both sides (a status write keeps the stored spec) has nothing to report.
    if (l === r) return;
    const shape = shapeOf(l, r, s);
    if (shape === 'leaf') {
      if (l === undefined) c.added.add(path);
      else if (r === undefined) c.removed.add(path);
      else if (!deepEqual(l, r)) c.modified.add(path);
      return;
    }
    if (shape === 'map') {
      const lo = isObject(l) ? l : {};
      const ro = isObject(r) ? r : {};
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        walk(lo[k], ro[k], fieldSchema(s, k), [...path, fieldElement(k)]);
      }
    } else {
      const list = granularList(s)!;
      const la = Array.isArray(l) ? l : [];
      const ra = Array.isArray(r) ? r : [];
      const lels = itemElements(list, la, path);
      const rels = itemElements(list, ra, path);
      const rightByEl = new Map(rels.map((el, i) => [el, ra[i]]));
      const leftEls = new Set(lels);
      la.forEach((item, i) => walk(item, rightByEl.get(lels[i]), list.items, [...path, lels[i]]));
      ra.forEach((item, i) => {
        if (!leftEls.has(rels[i])) walk(undefined, item, list.items, [...path, rels[i]]);
      });
    }
    if (path.length > 0) {
      if (l === undefined) c.added.add(path);
      else if (r === undefined) c.removed.add(path);
    }
  };
  walk(lhs, rhs, schema, []);
  return c;
}

/**
 * Merges an applied configuration into the live value (TypedValue.Merge): the
 * configuration wins on every field it sets; associative lists keep live-only items in
 * place and take the configuration's order for the rest.
 */
export function merge(live: unknown, config: unknown, schema: Schema | undefined, path: Path = []): unknown {
  if (config === undefined) return live;
  if (live === undefined) return config;
  const shape = shapeOf(live, config, schema);
  if (shape === 'leaf') return config;
  if (shape === 'map') {
    const lo = isObject(live) ? live : {};
    const co = isObject(config) ? config : {};
    const out: Obj = {};
    for (const k of Object.keys(lo)) out[k] = k in co ? merge(lo[k], co[k], fieldSchema(schema, k), [...path, fieldElement(k)]) : lo[k];
    for (const k of Object.keys(co)) if (!(k in lo)) out[k] = co[k];
    return out;
  }
  const list = granularList(schema)!;
  const la = Array.isArray(live) ? live : [];
  const ca = Array.isArray(config) ? config : [];
  const lels = itemElements(list, la, path);
  const cels = itemElements(list, ca, path);
  const liveByEl = new Map(lels.map((el, i) => [el, la[i]]));
  const configByEl = new Map(cels.map((el, i) => [el, ca[i]]));
  const mergeItem = (el: string) => merge(liveByEl.get(el), configByEl.get(el), list.items, [...path, el]);
  // The shared items in configuration order; live-only items stay where they were relative to them.
  const shared = cels.filter((el) => liveByEl.has(el));
  let nextShared = 0;
  const done = new Set<string>();
  const out: unknown[] = [];
  let li = 0;
  let ci = 0;
  while (li < lels.length || ci < cels.length) {
    if (li < lels.length && ci < cels.length) {
      const el = lels[li];
      if (el === cels[ci]) {
        out.push(mergeItem(el));
        done.add(el);
        li++;
        ci++;
        if (shared[nextShared] === el) nextShared++;
        continue;
      }
      if (configByEl.has(el) && nextShared < shared.length && shared[nextShared] !== el) {
        li++;
        continue;
      }
    }
    if (li < lels.length) {
      const el = lels[li];
      if (!configByEl.has(el)) {
        out.push(la[li]);
        li++;
        continue;
      }
      if (done.has(el)) {
        li++;
        continue;
      }
    }
    if (ci < cels.length) {
      const el = cels[ci];
      out.push(mergeItem(el));
      done.add(el);
      ci++;
      if (shared[nextShared] === el) nextShared++;
    }
  }
  return out;
}

/** Removes the value at `path` from `root` in place; a no-op when it is already absent. */
export function removePath(root: unknown, path: Path, schema: Schema | undefined): void {
  let cur: unknown = root;
  let s = schema;
  for (let i = 0; i < path.length; i++) {
    const el = path[i];
    const last = i === path.length - 1;
    if (el.startsWith('f:')) {
      if (!isObject(cur)) return;
      const name = el.slice(2);
      if (last) {
        delete cur[name];
        return;
      }
      cur = cur[name];
      s = fieldSchema(s, name);
      continue;
    }
    if (!Array.isArray(cur)) return;
    const arr: unknown[] = cur;
    let idx: number;
    const list = asList(s);
    if (el.startsWith('i:')) idx = Number(el.slice(2));
    else if (!list) return;
    else {
      idx = arr.findIndex((item, j) => {
        try {
          return itemElement(list, item, j, path.slice(0, i)) === el;
        } catch {
          return false;
        }
      });
    }
    if (idx < 0 || idx >= arr.length) return;
    if (last) {
      arr.splice(idx, 1);
      return;
    }
    cur = arr[idx];
    s = list?.items;
  }
}
