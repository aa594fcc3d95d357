// ControllerExpectations (pkg/controller/controller_utils.go): after asking for N pods,
// a controller must not act on its (lagging) cache again until the informer has shown
// it those N creations, or it would create them twice.

import type { KObject } from '../../api/types.js';
import { controllerOf } from '../../client/controllerref.js';
import { keyOfObject, type InformerLike } from '../../client/informer.js';

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

  /** Replaces what is expected of `key`: `adds` creations and the deletion of podKeys (`namespace/name`). */
  expect(key: string, adds: number, podKeys: string[], now = Date.now()): void {
    this.m.set(key, { adds, deletes: new Set(podKeys), at: now });
  }

  expectCreations(key: string, n: number, now = Date.now()): void {
    this.expect(key, n, [], now);
  }

  expectDeletions(key: string, podKeys: string[], now = Date.now()): void {
    this.expect(key, 0, podKeys, now);
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

/**
 * Feeds the pod stream to the expectations of the owners of kind `ownerKind` (addPod,
 * updatePod, deletePod of the ReplicaSet and DaemonSet controllers); added before the loop's
 * own handler, so a sync never sees a pod its expectations have not counted.
 */
export function observePods(pods: InformerLike, exp: Expectations, ownerKind: string): void {
  const owner = (pod: KObject) => {
    const ref = controllerOf(pod);
    return ref?.kind === ownerKind ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  pods.addHandler({
    add(pod) {
      const k = owner(pod);
      if (!k) return;
      if (pod.metadata.deletionTimestamp) exp.deletionObserved(k, keyOfObject(pod));
      else exp.creationObserved(k);
    },
    update(old, pod) {
      const k = owner(pod);
      if (k && pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) exp.deletionObserved(k, keyOfObject(pod));
    },
    delete(pod) {
      const k = owner(pod);
      if (k) exp.deletionObserved(k, keyOfObject(pod));
    },
  });
}
