// Server-side apply and managedFields bookkeeping, after k8s.io/apiserver's fieldmanager
// stack (structuredmerge, stripmeta, managedfields updater, last-applied manager and
// updater, skip-non-applied) over a compact structured-merge-diff (typedValue.ts).
import { KINDS } from '../../api/kinds.js';
import { deepEqual } from '../../api/equality.js';
import { PatchError, badRequest, internal, type PatchErrorCause } from './errors.js';
import { FieldSet, pathString, type Path } from './fieldPath.js';
import { decodeManagedFields, encodeManagedFields, managerId, nowRfc3339, printManager, type Managed, type ManagerEntry } from './managedFields.js';
import { schemaFor, zeroValue, type StructSchema } from './schema.js';
import { SchemaError, compare, merge, removePath, toFieldSet } from './typedValue.js';

type Obj = Record<string, unknown>;

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Paths no manager owns (stripmeta.go). */
const STRIPPED: Path[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', `f:${f}`]),
];
const STRIPPED_SET = new FieldSet(STRIPPED);

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function hasStatusSubresource(group: string, kind: string): boolean {
  return KINDS.some((d) => d.group === group && d.kind === kind && d.status === true);
}

/**
 * Drops what the field manager ignores for this request: object identity fields, and the
 * fields the REST strategy resets (status on the main resource, all but status and
 * metadata on /status).
 */
function ignoredFilter(group: string, kind: string, subresource: string | undefined): (set: FieldSet) => FieldSet {
  const withoutStatus = !subresource && hasStatusSubresource(group, kind);
  return (set) =>
    set.difference(STRIPPED_SET).filter((p) => {
      if (subresource === 'status') return p[0] === 'f:status' || p[0] === 'f:metadata';
      if (withoutStatus) return p[0] !== 'f:status';
      return true;
    });
}

function withoutManagedFields(obj: object): Obj {
  const copy = structuredClone(obj) as Obj;
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/**
 * The object as field ownership compares it, for reading only: its other fields are the
 * object's own, not copies. Every create, update and status write compares two whole objects,
 * and deep-copying both was the largest cost of a pod's writes.
 */
function managedFieldsHidden(obj: object): Obj {
  const o = obj as Obj;
  if (!isObject(o.metadata) || !('managedFields' in o.metadata)) return o;
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}


/** encoding/json output: sorted keys, HTML-safe escapes, trailing newline as json.Encoder writes. */
function goJson(v: unknown): string {
  const enc = (x: unknown): string => {
    if (Array.isArray(x)) return `[${x.map(enc).join(',')}]`;
    if (isObject(x)) return `{${Object.keys(x).sort().map((k) => `${enc(k)}:${enc(x[k])}`).join(',')}}`;
    if (typeof x === 'string') {
      return JSON.stringify(x).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    return JSON.stringify(x);
  };
  return `${enc(v)}\n`;
}

function setManagedFields(obj: Obj, managed: Managed): void {
  if (!isObject(obj.metadata)) obj.metadata = {};
  const encoded = encodeManagedFields(managed);
  const meta = obj.metadata as Obj;
  if (encoded.length > 0) meta.managedFields = encoded;
  else delete meta.managedFields;
}

interface UpdateResult {
  comparison: ReturnType<typeof compare>;
  conflicts: Map<string, FieldSet>;
}

/**
 * The shared step of apply and update (Updater.update): fields the write changes are taken
 * from every other manager (or reported as conflicts), removed fields from everyone.
 */
function takeOwnership(managed: Managed, self: string, oldObj: unknown, newObj: unknown, schema: StructSchema, force: boolean): UpdateResult {
  const comparison = compare(oldObj, newObj, schema);
  const changed = comparison.modified.union(comparison.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, e] of managed) {
    if (id === self) continue;
    const c = e.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(id, c);
  }
  if (!force && conflicts.size > 0) return { comparison, conflicts };
  for (const [id, e] of managed) {
    if (id === self) continue;
    let set = e.set;
    const c = conflicts.get(id);
    if (c) set = set.difference(c);
    set = set.difference(comparison.removed);
    if (set.isEmpty()) managed.delete(id);
    else managed.set(id, { ...e, set });
  }
  return { comparison, conflicts: new Map() };
}

function conflictError(managed: Managed, conflicts: Map<string, FieldSet>): PatchError {
  const all: { entry: ManagerEntry; id: string; path: Path }[] = [];
  for (const [id, set] of conflicts) for (const path of set.sorted()) all.push({ entry: managed.get(id)!, id, path });
  const causes: PatchErrorCause[] = all.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: pathString(c.path) }));
  let message: string;
  if (all.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(all[0].entry)}: ${pathString(all[0].path)}`;
  } else {
    const lines: string[] = [];
    for (const id of [...conflicts.keys()].sort()) {
      lines.push(`conflicts with ${printManager(managed.get(id)!)}:`);
      for (const p of conflicts.get(id)!.sorted()) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  return new PatchError(409, 'Conflict', message, causes);
}

/**
 * Fields whose conflicts a `kubectl` apply may override because they are unchanged since
 * the last client-side apply (lastAppliedManager.allowedConflictsFromLastApplied).
 */
function allowedByLastApplied(live: Obj, schema: StructSchema): FieldSet | undefined {
  const annotations = isObject(live.metadata) ? (live.metadata as Obj).annotations : undefined;
  const raw = isObject(annotations) ? annotations[LAST_APPLIED] : undefined;
  if (typeof raw !== 'string') return undefined;
  try {
    const lastApplied = JSON.parse(raw) as unknown;
    if (!isObject(lastApplied)) return undefined;
    const c = compare(lastApplied, live, schema);
    return toFieldSet(lastApplied, schema).difference(c.modified).difference(c.removed);
  } catch {
    return undefined;
  }
}

/** Server-side apply of `config` (parsed YAML/JSON) by `manager` onto live (undefined = create). Returns the new object with metadata.managedFields updated as upstream (operation Apply, fieldsType FieldsV1, fieldsV1 with f:/k:/v: keys, time, apiVersion, manager). Throws a 409 conflict when force is false and a field owned by another manager would change value, with upstream's message ("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"). */
export function serverSideApply(live: object | undefined, config: object, manager: string, force: boolean, kind: { group: string; kind: string; apiVersion: string }): object {
  if (!isObject(config)) throw badRequest('error decoding YAML: the apply patch is not an object');
  const patchVersion = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  if (patchVersion !== kind.apiVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${patchVersion}, expected: ${kind.apiVersion}`);
  }
  if (isObject(config.metadata) && config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const schema = schemaFor(kind.group, kind.kind);
  const filter = ignoredFilter(kind.group, kind.kind, undefined);
  const gvk = `${kind.apiVersion.includes('/') ? kind.apiVersion : `/${kind.apiVersion}`}, Kind=${kind.kind}`;

  const liveObj = live ? withoutManagedFields(live) : undefined;
  const managed = decodeManagedFields(live ? (live as Obj).metadata && ((live as Obj).metadata as Obj).managedFields : undefined);
  if (liveObj && managed.size === 0) {
    // An object nobody manages yet is first attributed to a synthetic updater, so the
    // applier cannot silently take over fields it did not set (skipnonapplied.go).
    const set = filter(compareAdded(zeroValue(schema), liveObj, schema));
    if (!set.isEmpty()) {
      const e: ManagerEntry = { manager: 'before-first-apply', operation: 'Update', apiVersion: kind.apiVersion, set };
      managed.set(managerId(e), e);
    }
  }

  let configSet: FieldSet;
  let merged: Obj;
  try {
    configSet = filter(toFieldSet(config, schema));
    merged = merge(liveObj ?? {}, structuredClone(config), schema) as Obj;
  } catch (e) {
    if (e instanceof SchemaError) throw internal(`failed to create typed patch object (${gvk}): ${e.message}`);
    throw e;
  }

  const self = managerId({ manager, operation: 'Apply', apiVersion: kind.apiVersion });
  const previous = managed.get(self);
  const attempt = (force: boolean): { managed: Managed; merged: Obj } => {
    const m: Managed = new Map([...managed].map(([id, e]) => [id, { ...e }]));
    m.set(self, { manager, operation: 'Apply', apiVersion: kind.apiVersion, time: previous?.time, set: configSet });
    const out = structuredClone(merged);
    if (previous) {
      // Fields this manager applied before but no longer does are removed, unless someone
      // else (including its own new configuration) still owns them or something below them.
      let owned = new FieldSet();
      for (const e of m.values()) owned = owned.union(e.set);
      // Parents first: removing an item takes its fields with it, and a field must not be
      // removed from an item before the item is looked up by its key.
      for (const p of previous.set.sorted()) {
        if (!owned.has(p) && !owned.hasDescendant(p)) removePath(out, p, schema);
      }
    }
    const r = takeOwnership(m, self, liveObj ?? {}, out, schema, force);
    if (r.conflicts.size > 0) throw conflictError(m, r.conflicts);
    return { managed: m, merged: out };
  };

  let result: { managed: Managed; merged: Obj };
  try {
    result = attempt(force);
  } catch (e) {
    if (e instanceof SchemaError) throw internal(`failed to merge the apply configuration into the live ${gvk} object: ${e.message}`);
    if (!(e instanceof PatchError) || e.code !== 409 || manager !== 'kubectl' || !liveObj) throw e;
    // kubectl's first server-side apply after client-side apply may take over fields whose
    // value still matches the last-applied annotation (lastappliedmanager.go).
    const allowed = allowedByLastApplied(liveObj, schema);
    if (!allowed) throw e;
    const probe = structuredClone(merged);
    const c = compare(liveObj, probe, schema);
    const changed = c.modified.union(c.added);
    const blocking = new Map<string, FieldSet>();
    for (const [id, entry] of managed) {
      if (id === self) continue;
      const rest = entry.set.intersection(changed).difference(allowed);
      if (!rest.isEmpty()) blocking.set(id, rest);
    }
    if (blocking.size > 0) throw conflictError(managed, blocking);
    result = attempt(true);
  }

  const { managed: m, merged: out } = result;
  const entry = m.get(self);
  if (entry && (!liveObj || !deepEqual(liveObj, out) || !entry.time)) entry.time = nowRfc3339();

  if (manager === 'kubectl' && liveObj) {
    const annotations = isObject(liveObj.metadata) ? (liveObj.metadata as Obj).annotations : undefined;
    if (isObject(annotations) && LAST_APPLIED in annotations) {
      // Keep client-side apply's view in step with what was server-side applied (lastappliedupdater.go).
      const applied = structuredClone(config) as Obj;
      if (isObject(applied.metadata) && isObject(applied.metadata.annotations)) {
        delete (applied.metadata.annotations as Obj)[LAST_APPLIED];
      }
      const meta = (isObject(out.metadata) ? out.metadata : (out.metadata = {})) as Obj;
      meta.annotations = { ...(isObject(meta.annotations) ? meta.annotations : {}), [LAST_APPLIED]: goJson(applied) };
    }
  }
  setManagedFields(out, m);
  return out;
}

function compareAdded(oldObj: unknown, newObj: unknown, schema: StructSchema): FieldSet {
  const c = compare(oldObj, newObj, schema);
  return c.modified.union(c.added);
}

/** Record an Update operation by manager in managedFields (used for create/update/patch) as upstream does, so `kubectl apply --server-side` after client-side apply migrates correctly. */
export function recordUpdate(old: object | undefined, obj: object, manager: string | undefined, apiVersion: string, subresource?: string): void {
  const target = obj as Obj;
  const kind = typeof target.kind === 'string' ? target.kind : '';
  const group = groupOf(apiVersion);
  const schema = schemaFor(group, kind);
  const filter = ignoredFilter(group, kind, subresource);

  // managedFields written by the client are honoured (that is how kubectl rewrites them
  // when upgrading from client-side apply); otherwise, and always on subresources, the
  // live object's are carried forward.
  let managed = decodeManagedFields(isObject(target.metadata) ? (target.metadata as Obj).managedFields : undefined);
  if (managed.size === 0 || subresource) {
    managed = decodeManagedFields(old && isObject((old as Obj).metadata) ? ((old as Obj).metadata as Obj).managedFields : undefined);
  }

  const oldObj = old ? managedFieldsHidden(old) : zeroValue(schema);
  const newObj = managedFieldsHidden(obj);
  const name = manager ?? 'unknown';
  const self = managerId({ manager: name, operation: 'Update', apiVersion, subresource });
  let r: UpdateResult;
  try {
    // The write is first attributed to a manager of its own, so the writer's earlier entry
    // loses removed fields like any other (managedfieldsupdater.go's "current-operation").
    r = takeOwnership(managed, '\u0000current-operation', oldObj, newObj, schema, true);
  } catch (e) {
    // A value the schema cannot key (e.g. a container without a name) is left for
    // validation to report; ownership is then not tracked for this write.
    if (e instanceof SchemaError) return;
    throw e;
  }
  const changed = filter(r.comparison.modified.union(r.comparison.added));
  const prev = managed.get(self);
  if (!changed.isEmpty()) {
    managed.set(self, {
      manager: name,
      operation: 'Update',
      apiVersion,
      subresource,
      time: nowRfc3339(),
      set: prev ? prev.set.union(changed) : changed,
    });
  }
  setManagedFields(target, managed);
}
