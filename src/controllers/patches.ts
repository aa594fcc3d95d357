import type { KObject } from '../api/types.js';

// JSON patches that change one metadata list only if nobody changed it since we looked:
// the `test` op makes a concurrent writer's change fail the patch instead of being lost.

export function metadataListPatch(obj: KObject, field: 'ownerReferences' | 'finalizers', next: unknown[]): unknown[] {
  const path = `/metadata/${field}`;
  const old = obj.metadata[field] as unknown[] | undefined;
  if (old === undefined) {
    return [{ op: 'test', path: '/metadata/uid', value: obj.metadata.uid }, { op: 'add', path, value: next }];
  }
  return [{ op: 'test', path, value: old }, next.length ? { op: 'replace', path, value: next } : { op: 'remove', path }];
}
