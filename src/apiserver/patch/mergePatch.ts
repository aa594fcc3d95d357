// RFC 7386 JSON merge patch, with evanphx/json-patch's details that the apiserver inherits:
// a null member deletes, objects merge member by member, anything else replaces, and nulls
// inside a value that lands where there was no object are pruned.
import { badRequest } from './errors.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : pruneNulls(x)));
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
  return out;
}

function mergeInto(doc: Obj, patch: Obj): Obj {
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    if (cur === undefined || cur === null || !isObject(cur)) doc[k] = pruneNulls(pv);
    else doc[k] = isObject(pv) ? mergeInto(cur, pv) : pv;
  }
  return doc;
}

/** Applies a merge patch (already JSON-decoded) to a copy of `live`. */
export function applyMergePatch(live: object, patch: unknown): object {
  // Upstream answers ErrBadJSONPatch for a patch that is not an object.
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  return mergeInto(structuredClone(live) as Obj, patch);
}
