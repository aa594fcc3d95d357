import type { KObject } from '../../api/types.js';
import { refTo } from './graph.js';

// The garbage collector's decision for one object (attemptToDeleteItem,
// processDeletingDependentsItem and orphanDependents of
// pkg/controller/garbagecollector/garbagecollector.go), as a plain function.

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/**
 * solid: the owner exists and is not waiting for its dependents.
 * dangling: no object with that uid exists any more.
 * waiting: the owner is being deleted in the foreground.
 */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export type GcAction =
  | { type: 'removeFinalizer'; finalizer: string }
  | { type: 'enqueue'; uids: string[] }
  | { type: 'orphanDependents'; dependents: KObject[] }
  | { type: 'removeOwnerRefs'; uids: string[] }
  | { type: 'delete'; policy: 'Background' | 'Foreground' | 'Orphan' };

export function hasFinalizer(obj: KObject, f: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(f);
}

/** How an owner object counts for its dependents (classifyReferences). */
export function ownerStateOf(owner: KObject | undefined, refUid: string): OwnerState {
  if (!owner || owner.metadata.uid !== refUid) return 'dangling';
  return owner.metadata.deletionTimestamp && hasFinalizer(owner, FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
}

/**
 * What to do about item, given the state of each owner it names (by uid) and the
 * objects that name it as their owner. Actions run in order.
 */
export function decide(item: KObject, owners: Map<string, OwnerState>, dependents: KObject[]): GcAction[] {
  const uid = item.metadata.uid as string;
  if (item.metadata.deletionTimestamp) {
    if (hasFinalizer(item, ORPHAN_FINALIZER)) {
      const acts: GcAction[] = [];
      if (dependents.length) acts.push({ type: 'orphanDependents', dependents });
      acts.push({ type: 'removeFinalizer', finalizer: ORPHAN_FINALIZER });
      return acts;
    }
    if (hasFinalizer(item, FOREGROUND_FINALIZER)) {
      const blocking = dependents.filter((d) => refTo(d, uid)?.blockOwnerDeletion === true);
      if (blocking.length === 0) return [{ type: 'removeFinalizer', finalizer: FOREGROUND_FINALIZER }];
      // Every dependent goes, but only the blocking ones hold the owner back.
      const pending = dependents.filter((d) => !d.metadata.deletionTimestamp || hasFinalizer(d, FOREGROUND_FINALIZER));
      return pending.length ? [{ type: 'enqueue', uids: pending.map((d) => d.metadata.uid as string) }] : [];
    }
    return [];
  }

  const refs = item.metadata.ownerReferences ?? [];
  if (refs.length === 0) return [];
  const solid: string[] = [];
  const gone: string[] = [];
  let waiting = 0;
  for (const r of refs) {
    const s = owners.get(r.uid) ?? 'solid';
    if (s === 'solid') solid.push(r.uid);
    else {
      gone.push(r.uid);
      if (s === 'waiting') waiting++;
    }
  }
  if (solid.length) {
    // A solid owner keeps the object alive; references to the others just go.
    return gone.length ? [{ type: 'removeOwnerRefs', uids: gone }] : [];
  }
  if (waiting && dependents.length) return [{ type: 'delete', policy: 'Foreground' }];
  let policy: 'Background' | 'Foreground' | 'Orphan' = 'Background';
  if (hasFinalizer(item, ORPHAN_FINALIZER)) policy = 'Orphan';
  if (hasFinalizer(item, FOREGROUND_FINALIZER)) policy = 'Foreground';
  return [{ type: 'delete', policy }];
}
