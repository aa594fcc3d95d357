// Strategic merge patch as k8s.io/apimachinery/pkg/util/strategicpatch applies it on the
// server (StrategicMergeMapPatch with MergeParallelList and IgnoreUnmatchedNulls): lists
// merge by their patch merge key, scalar "merge" lists are sets, and the directives
// $patch, $retainKeys, $setElementOrder/<list> and $deleteFromPrimitiveList/<list> apply.
// Error texts and their Status codes follow interpretStrategicMergePatchError.
import { badRequest, goValue, internal, PatchError, unprocessable } from './errors.js';
import { deepEqual } from '../../api/equality.js';
import { fieldSchema, type ListSchema, type Schema } from './schema.js';

type Obj = Record<string, unknown>;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'map' : typeof v;
}

function goType(v: unknown): string {
  switch (kindOf(v)) {
    case 'map':
      return 'map[string]interface {}';
    case 'list':
      return '[]interface {}';
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return '<nil>';
  }
}


const noMergeKey = (m: unknown, key: string) => internal(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const badArgType = (actual: unknown) => internal(`expected a []interface {}, but received a ${goType(actual)}`);

function asList(s: Schema | undefined): ListSchema | undefined {
  return s?.kind === 'list' ? s : undefined;
}

/** Strips directives (and, as IgnoreUnmatchedNulls does, nulls) from a value taken over as is. */
function removeDirectives(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      if (isObject(item) && PATCH in item && Object.keys(item).every((k) => k === PATCH || item[k] === null)) continue;
      const r = removeDirectives(item);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (!isObject(v)) return v;
  if (v[PATCH] === 'delete') return undefined;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || x === null) continue;
    const r = removeDirectives(x);
    if (r !== undefined) out[k] = r;
  }
  return out;
}

/** The element kind shared by two lists (sliceElementType). */
function elementKind(...lists: unknown[][]): string {
  let kind: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'list') throw unprocessable('lists of lists are not supported');
        kind = k;
      } else if (kind !== k) {
        throw internal(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (kind === undefined) throw internal('no elements in any of the given slices');
  return kind;
}

function keyOf(item: unknown, mergeKey: string): unknown {
  if (!isObject(item) || !(mergeKey in item)) throw noMergeKey(item, mergeKey);
  return item[mergeKey];
}

/** Position of `item` in `order`, by merge key for maps, by value for scalars. */
function indexIn(order: unknown[], item: unknown, mergeKey: string, kind: string): number {
  if (kind === 'map') {
    const want = isObject(item) ? item[mergeKey] : undefined;
    return order.findIndex((o) => isObject(o) && mergeKey in o && deepEqual(o[mergeKey], want));
  }
  return order.findIndex((o) => deepEqual(o, item));
}

function partition(merged: unknown[], by: unknown[], mergeKey: string, kind: string): [unknown[], unknown[]] {
  const present: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) {
    if (kind === 'map') {
      const key = keyOf(v, mergeKey);
      (by.some((b) => isObject(b) && mergeKey in b && deepEqual(b[mergeKey], key)) ? present : serverOnly).push(v);
    } else {
      (by.some((b) => deepEqual(b, v)) ? present : serverOnly).push(v);
    }
  }
  return [present, serverOnly];
}

/** sort.SliceStable with upstream's comparator (items missing from `order` count as "less"). */
function sortByOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let items = [...toSort];
  let deleted: unknown[] = [];
  if (kind === 'map') {
    for (const v of [...items, ...order]) keyOf(v, mergeKey);
    deleted = items.filter((v) => isObject(v) && v[PATCH] === 'delete');
    items = items.filter((v) => !(isObject(v) && v[PATCH] === 'delete'));
  }
  const less = (a: unknown, b: unknown) => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < items.length; i++) {
    for (let j = i; j > 0 && less(items[j], items[j - 1]); j--) [items[j], items[j - 1]] = [items[j - 1], items[j]];
  }
  return [...items, ...deleted];
}

/** Interleaves server-only items into the patch items, keeping both relative orders (mergeSortedSlice). */
function mergeSorted(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const p = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const s = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSorted(s, p, serverOrder, mergeKey, kind);
}

/** Applies `$patch: delete|replace` list items (mergeSliceWithSpecialElements). */
function specialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const rest: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    if (!isObject(v)) throw internal(`expected a map[string]interface {}, but received a ${goType(v)}`);
    if (!(PATCH in v)) {
      rest.push(v);
      continue;
    }
    const d = v[PATCH];
    if (d === 'delete') {
      if (!(mergeKey in v)) throw noMergeKey(v, mergeKey);
      original = original.filter((o) => !(isObject(o) && deepEqual(o[mergeKey], v[mergeKey])));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw internal(`unknown patch type: ${goValue(d)} in map: ${goValue(v)}`);
    }
  }
  return replace ? [rest, []] : [original, rest];
}

function mergeSlice(original: unknown[], patch: unknown[], list: ListSchema | undefined, field: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const mergeKey = list?.mergeKey ?? '';
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((o) => !patch.some((p) => deepEqual(o, p)));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
  } else {
    if (!mergeKey) throw internal(`cannot merge lists without merge key for ${field}`);
    [original, patch] = specialElements(original, patch, mergeKey);
    merged = [...original];
    for (const v of patch as Obj[]) {
      const key = keyOf(v, mergeKey);
      const at = merged.findIndex((o) => isObject(o) && deepEqual(o[mergeKey], key));
      if (at >= 0) merged[at] = mergeMap(merged[at] as Obj, v, list?.items);
      else merged.push(mergeMap({}, v, list?.items));
    }
  }
  const [present, serverOnly] = partition(merged, patch, mergeKey, kind);
  return normalizeOrder(present, serverOnly, patch, original, mergeKey, kind);
}

function mergeSliceHandler(original: unknown[], patch: unknown[], schema: Schema | undefined, field: string, isDeleteList: boolean): unknown[] {
  const list = asList(schema);
  if (list?.strategy === 'merge' || isDeleteList) return mergeSlice(original, patch, list, field, isDeleteList);
  return removeDirectives(patch) as unknown[];
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
    if (!retain.includes(k)) throw unprocessable("patch content doesn't match retainKeys list");
  }
  for (const k of Object.keys(original)) if (!retain.includes(k)) delete original[k];
}

function validateOrderList(patchList: unknown[] | undefined, order: unknown[], mergeKey: string): void {
  if (!patchList || order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((v) => !(isObject(v) && v[PATCH] === 'delete')) : patchList;
  let pi = 0;
  let si = 0;
  while (pi < items.length && si < order.length) {
    const item = items[pi];
    if (isObject(item) && Object.keys(item).some((k) => k.startsWith('$'))) {
      pi++;
      continue;
    }
    const same = mergeKey ? deepEqual(keyOf(item, mergeKey), keyOf(order[si], mergeKey)) : deepEqual(item, order[si]);
    if (same) pi++;
    si++;
  }
  if (pi < items.length && si >= order.length) {
    throw internal(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ORDER} list:\n${goValue(order)}\n`);
  }
}

/** Merges the lists named by $setElementOrder directives and puts them in the requested order. */
function applySetElementOrder(original: Obj, patch: Obj, schema: Schema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = patch[key];
    if (!Array.isArray(order)) throw badArgType(order);
    const field = key.slice(SET_ORDER.length);
    const hasOriginal = field in original;
    const hasPatch = field in patch;
    const originalList = original[field];
    const patchList = patch[field];
    if (hasOriginal && !Array.isArray(originalList)) throw badArgType(originalList);
    if (hasPatch && !Array.isArray(patchList)) throw badArgType(patchList);
    const fs = fieldSchema(schema, field);
    const mergeKey = asList(fs)?.mergeKey ?? '';
    validateOrderList(patchList as unknown[] | undefined, order, mergeKey);
    let merged: unknown[];
    if (hasOriginal && !hasPatch) merged = originalList as unknown[];
    else if (!hasOriginal && hasPatch) merged = removeDirectives(patchList) as unknown[];
    else if (hasOriginal && hasPatch) merged = mergeSliceHandler(originalList as unknown[], patchList as unknown[], fs, field, false);
    else continue;
    delete patch[field];
    if (merged.length === 0) {
      original[field] = merged;
      continue;
    }
    const kind = elementKind((originalList as unknown[] | undefined) ?? [], (patchList as unknown[] | undefined) ?? [], merged);
    const [present, serverOnly] = partition(merged, order, mergeKey, kind);
    original[field] = normalizeOrder(present, serverOnly, order, (originalList as unknown[] | undefined) ?? [], mergeKey, kind);
  }
}

function mergeMap(original: Obj, patch: Obj, schema: Schema | undefined): Obj {
  patch = { ...patch };
  if (PATCH in patch) {
    const d = patch[PATCH];
    delete patch[PATCH];
    if (d === 'replace') return removeDirectives(patch) as Obj;
    if (d === 'delete') return {};
    if (d !== 'merge') throw internal(`unknown patch type: ${goValue(d)} in map: ${goValue(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);
  for (const [rawKey, pv] of Object.entries(patch)) {
    if (rawKey.startsWith(SET_ORDER)) continue;
    const isDeleteList = rawKey.startsWith(DELETE_PRIMITIVE);
    const k = isDeleteList ? rawKey.slice(DELETE_PRIMITIVE.length) : rawKey;
    if (pv === null) {
      delete original[k];
      continue;
    }
    const fs = fieldSchema(schema, k);
    if (!(k in original) || kindOf(original[k]) !== kindOf(pv)) {
      if (!isDeleteList) original[k] = removeDirectives(pv);
      continue;
    }
    const ov = original[k];
    if (isObject(ov)) original[k] = mergeMap(ov, pv as Obj, fs);
    else if (Array.isArray(ov)) original[k] = mergeSliceHandler(ov, pv as unknown[], fs, k, isDeleteList);
    else original[k] = pv;
  }
  return original;
}

/** Applies a strategic merge patch (already JSON-decoded) to a copy of `live`. */
export function applyStrategicMergePatch(live: object, patch: unknown, schema: Schema | undefined): object {
  if (!isObject(patch)) throw badRequest(`json: cannot unmarshal ${kindOf(patch) === 'list' ? 'array' : kindOf(patch)} into Go value of type map[string]interface {}`);
  try {
    return mergeMap(structuredClone(live) as Obj, structuredClone(patch), schema);
  } catch (e) {
    if (e instanceof PatchError) throw e;
    throw internal(`applying strategic merge patch: ${(e as Error).message}`);
  }
}
