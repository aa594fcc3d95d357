import type { KObject } from '../../api/types.js';

// Remembers the slices this controller wrote until the informer has shown them back, as
// upstream's EndpointSliceTracker. Reconciling a Service from a cache that does not yet
// hold our last create would create its slices a second time.
//
// Upstream compares metadata.generation; EndpointSlices here carry none, so a write is
// matched by the resourceVersion it returned. Our store's versions are increasing
// integers, so a newer version observed for a tracked slice also means we caught up (the
// informer may skip versions when it relists).

const DELETED = 'deleted';

function newerOrSame(seen: string | undefined, expected: string): boolean {
  if (seen === expected) return true;
  if (!seen || !/^\d+$/.test(seen) || !/^\d+$/.test(expected)) return false;
  return BigInt(seen) >= BigInt(expected);
}

export class SliceTracker {
  /** service key → slice uid → resourceVersion we wrote, or DELETED. */
  private expected = new Map<string, Map<string, string>>();

  private forService(key: string): Map<string, string> {
    let m = this.expected.get(key);
    if (!m) this.expected.set(key, (m = new Map()));
    return m;
  }

  /** We created or updated a slice and the apiserver answered with this object. */
  written(serviceKey: string, slice: KObject): void {
    if (slice.metadata.uid && slice.metadata.resourceVersion) this.forService(serviceKey).set(slice.metadata.uid, slice.metadata.resourceVersion);
  }

  /** We deleted a slice (or found it already gone). */
  deleted(serviceKey: string, slice: KObject): void {
    if (slice.metadata.uid) this.forService(serviceKey).set(slice.metadata.uid, DELETED);
  }

  /** The informer showed this slice in this state. */
  observed(serviceKey: string, slice: KObject, gone: boolean): void {
    const m = this.expected.get(serviceKey);
    const uid = slice.metadata.uid;
    if (!m || !uid || !m.has(uid)) return;
    const want = m.get(uid) as string;
    if (gone || (want !== DELETED && newerOrSame(slice.metadata.resourceVersion, want))) m.delete(uid);
    if (!m.size) this.expected.delete(serviceKey);
  }

  /** Whether the cached slices lag behind a write of ours (StaleSlices). */
  stale(serviceKey: string, cached: KObject[]): boolean {
    const m = this.expected.get(serviceKey);
    if (!m) return false;
    const byUid = new Map(cached.map((s) => [s.metadata.uid, s]));
    for (const [uid, want] of m) {
      const have = byUid.get(uid);
      if (want === DELETED) {
        if (have) return true;
      } else if (!have || !newerOrSame(have.metadata.resourceVersion, want)) return true;
    }
    return false;
  }

  forget(serviceKey: string): void {
    this.expected.delete(serviceKey);
  }
}
