// metadata.managedFields: decoding entries into field sets keyed by manager identity, and
// encoding them back in upstream's order and spelling.
import { FieldSet } from './fieldPath.js';

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/**
 * The identity of an entry (BuildManagerIdentifier): appliers are one entry whatever the
 * version they apply in; updaters are one entry per version and subresource.
 */
export function managerId(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  // Compared, never shown: NUL cannot occur in the parts, so joining them keeps them apart.
  return `${e.manager}\u0000${e.operation}\u0000${e.operation === 'Update' ? e.apiVersion : ''}\u0000${e.subresource ?? ''}`;
}

/** How conflict messages name a manager: `"kubectl-client-side-apply" using apps/v1`. */
export function printManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

export type Managed = Map<string, ManagerEntry>;

/** Decodes managedFields; entries that cannot be read are dropped rather than failing the write. */
export function decodeManagedFields(raw: unknown): Managed {
  const out: Managed = new Map();
  if (!Array.isArray(raw)) return out;
  for (const e of raw) {
    if (typeof e !== 'object' || e === null) continue;
    const r = e as Record<string, unknown>;
    if (typeof r.manager !== 'string' || (r.operation !== 'Apply' && r.operation !== 'Update')) continue;
    let set: FieldSet;
    try {
      set = r.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(r.fieldsV1);
    } catch {
      continue;
    }
    const entry: ManagerEntry = {
      manager: r.manager,
      operation: r.operation,
      apiVersion: typeof r.apiVersion === 'string' ? r.apiVersion : '',
      time: typeof r.time === 'string' ? r.time : undefined,
      subresource: typeof r.subresource === 'string' && r.subresource ? r.subresource : undefined,
      set,
    };
    const id = managerId(entry);
    const prev = out.get(id);
    out.set(id, prev ? { ...entry, set: prev.set.union(set) } : entry);
  }
  return out;
}

function seconds(t: string | undefined): number {
  return t ? Math.floor(Date.parse(t) / 1000) : 0;
}

/** Encodes entries, sorted as sortEncodedManagedFields does (operation, time, manager, version, subresource). */
export function encodeManagedFields(managed: Managed): Record<string, unknown>[] {
  const entries = [...managed.values()].filter((e) => !e.set.isEmpty());
  entries.sort(
    (p, q) =>
      (p.operation < q.operation ? -1 : p.operation > q.operation ? 1 : 0) ||
      seconds(p.time) - seconds(q.time) ||
      (p.manager < q.manager ? -1 : p.manager > q.manager ? 1 : 0) ||
      (p.apiVersion < q.apiVersion ? -1 : p.apiVersion > q.apiVersion ? 1 : 0) ||
      ((p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0),
  );
  return entries.map((e) => {
    const out: Record<string, unknown> = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = e.set.toFieldsV1();
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
