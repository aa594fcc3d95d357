// RFC 6902 JSON patch with the semantics and error text of gopkg.in/evanphx/json-patch.v4,
// which the apiserver uses: a failed operation answers 422 with the library's message as a
// cause; an undecodable patch answers 400. Paths are resolved here (for the messages and
// v4's quirks: negative indices, replace of a missing object key succeeds); the mutation
// itself is fast-json-patch's.
import jsonpatch from 'fast-json-patch';
import { badRequest, unprocessable } from './errors.js';

type Container = Record<string, unknown> | unknown[];
interface Target {
  con: Container;
  key: string;
}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

class OpFailure extends Error {}

function decodeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

function encodeToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function goTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** strconv.Atoi, including its error text. */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new OpFailure(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number(key);
}

function get(con: Container, key: string): unknown {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  const idx = atoi(key);
  if (idx >= con.length || idx < 0) throw new OpFailure(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return con[idx];
}

/** The container holding the last path token, or undefined when the path does not resolve (v4's findObject). */
function find(doc: Container, path: string): Target | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let con: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = get(con, decodeToken(part));
    } catch {
      return undefined;
    }
    if (!Array.isArray(next) && !isObject(next)) return undefined;
    con = next;
  }
  return { con, key: decodeToken(split[split.length - 1]) };
}

/** The pointer fast-json-patch should act on: negative indices resolved as v4 does. */
function pointerOf(path: string, t: Target, idx?: number): string {
  if (idx === undefined) return path;
  const parent = path.split('/').slice(0, -1).join('/');
  return `${parent}/${encodeToken(String(idx))}`;
}

function requirePath(op: Record<string, unknown>, field: 'path' | 'from', what: string, wrapMissing: boolean): string {
  const v = op[field];
  if (v === undefined || v === null) {
    const detail = field === 'path' ? 'operation missing path field' : 'operation, missing from field';
    throw new OpFailure(wrapMissing ? `${what}: ${MISSING}` : `${what}: ${detail}: ${MISSING}`);
  }
  if (typeof v !== 'string') throw new OpFailure(`${what}: json: cannot unmarshal ${goTypeName(v)} into Go value of type string`);
  return v;
}

function apply(doc: Container, op: jsonpatch.Operation): void {
  jsonpatch.applyOperation(doc, op, false, true, true);
}

/** Index for an add into an array (len+1 slots, negatives from the end), as v4's partialArray.add. */
function addIndex(arr: unknown[], key: string, path: string): number | '-' {
  if (key === '-') return '-';
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new OpFailure(`error in add for path: '${path}': value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const size = arr.length + 1;
  if (idx >= size || idx < -size) throw new OpFailure(`error in add for path: '${path}': Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return idx < 0 ? idx + size : idx;
}

/** Index of an existing element (remove), negatives from the end. */
function existingIndex(arr: unknown[], key: string, verb: string, path: string): number {
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new OpFailure(`error in ${verb} for path: '${path}': ${(e as Error).message}`);
  }
  if (idx >= arr.length || idx < -arr.length) throw new OpFailure(`error in ${verb} for path: '${path}': Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return idx < 0 ? idx + arr.length : idx;
}

function add(doc: Container, path: string, t: Target, value: unknown): void {
  if (Array.isArray(t.con)) {
    const idx = addIndex(t.con, t.key, path);
    apply(doc, { op: 'add', path: idx === '-' ? path : pointerOf(path, t, idx), value });
  } else {
    apply(doc, { op: 'add', path, value });
  }
}

function remove(doc: Container, path: string, t: Target, verb = 'remove', label = path): void {
  if (Array.isArray(t.con)) {
    const idx = existingIndex(t.con, t.key, verb, label);
    apply(doc, { op: 'remove', path: pointerOf(path, t, idx) });
  } else {
    if (!Object.prototype.hasOwnProperty.call(t.con, t.key)) throw new OpFailure(`error in ${verb} for path: '${label}': Unable to remove nonexistent key: ${t.key}: ${MISSING}`);
    apply(doc, { op: 'remove', path });
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function step(doc: Container, op: Record<string, unknown>): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const value = op.value === undefined ? null : op.value;
  switch (kind) {
    case 'add': {
      const path = requirePath(op, 'path', 'add operation failed to decode path', true);
      const t = find(doc, path);
      if (!t) throw new OpFailure(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      add(doc, path, t, value);
      return;
    }
    case 'remove': {
      const path = requirePath(op, 'path', 'remove operation failed to decode path', true);
      const t = find(doc, path);
      if (!t) throw new OpFailure(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      remove(doc, path, t);
      return;
    }
    case 'replace': {
      const path = requirePath(op, 'path', 'replace operation failed to decode path', false);
      const t = find(doc, path);
      if (!t) throw new OpFailure(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      if (Array.isArray(t.con)) {
        let idx: number;
        try {
          idx = atoi(t.key);
          get(t.con, t.key);
        } catch {
          throw new OpFailure(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
        }
        apply(doc, { op: 'replace', path: pointerOf(path, t, idx), value });
      } else {
        // v4 sets the key even when it does not exist yet.
        (t.con as Record<string, unknown>)[t.key] = value;
      }
      return;
    }
    case 'move': {
      const from = requirePath(op, 'from', 'move operation failed to decode from', false);
      const src = find(doc, from);
      if (!src) throw new OpFailure(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(src.con, src.key);
      } catch (e) {
        throw new OpFailure(`error in move for path: '${src.key}': ${(e as Error).message}`);
      }
      remove(doc, from, src, 'move', src.key);
      const path = requirePath(op, 'path', 'move operation failed to decode path', false);
      const dst = find(doc, path);
      if (!dst) throw new OpFailure(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      add(doc, path, dst, val === undefined ? null : val);
      return;
    }
    case 'copy': {
      const from = requirePath(op, 'from', 'copy operation failed to decode from', false);
      const src = find(doc, from);
      if (!src) throw new OpFailure(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(src.con, src.key);
      } catch (e) {
        throw new OpFailure(`error in copy for from: '${from}': ${(e as Error).message}`);
      }
      const path = requirePath(op, 'path', 'copy operation failed to decode path', true);
      const dst = find(doc, path);
      if (!dst) throw new OpFailure(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      add(doc, path, dst, val === undefined ? null : structuredClone(val));
      return;
    }
    case 'test': {
      const path = requirePath(op, 'path', 'test operation failed to decode path', false);
      const t = find(doc, path);
      if (!t) throw new OpFailure(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(t.con, t.key);
      } catch (e) {
        throw new OpFailure(`error in test for path: '${path}': ${(e as Error).message}`);
      }
      // A missing member and JSON null are the same to v4 (a nil node).
      const actual = val === undefined ? null : val;
      if (actual === null ? value === null : op.value !== undefined && deepEqual(actual, value)) return;
      throw new OpFailure(`testing value ${path} failed: test failed`);
    }
    default:
      throw new OpFailure(`Unexpected kind: ${kind}`);
  }
}

/** Applies an RFC 6902 patch (already JSON-decoded) to a copy of `live`. */
export function applyJsonPatch(live: object, patch: unknown): object {
  if (!Array.isArray(patch)) throw badRequest(`json: cannot unmarshal ${goTypeName(patch)} into Go value of type jsonpatch.Patch`);
  for (const op of patch) {
    if (!isObject(op)) throw badRequest(`json: cannot unmarshal ${goTypeName(op)} into Go value of type jsonpatch.Operation`);
  }
  const doc = structuredClone(live) as Container;
  for (const op of patch as Record<string, unknown>[]) {
    try {
      step(doc, op);
    } catch (e) {
      if (e instanceof OpFailure) throw unprocessable(e.message);
      throw e;
    }
  }
  return doc;
}
