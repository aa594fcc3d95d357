// ControllerExpectations (pkg/controller/controller_utils.go): after asking for N pods,
// a controller must not act on its (lagging) cache again until the informer has shown
// it those N creations, or it would create them twice.

const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private m = new Map<string, Expectation>();

  /** True when nothing is outstanding, or when what is outstanding is too old to trust. */
  satisfied(key: string, now = Date.now()): boolean {
    const e = this.m.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return now - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number, now = Date.now()): void {
    this.m.set(key, { adds: n, deletes: new Set(), at: now });
  }

  /** podKeys are `namespace/name` of the pods about to be deleted. */
  expectDeletions(key: string, podKeys: string[], now = Date.now()): void {
    this.m.set(key, { adds: 0, deletes: new Set(podKeys), at: now });
  }

  creationObserved(key: string): void {
    const e = this.m.get(key);
    if (e) e.adds--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.m.get(key)?.deletes.delete(podKey);
  }

  delete(key: string): void {
    this.m.delete(key);
  }
}
