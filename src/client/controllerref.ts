import type { KObject, OwnerReference } from '../api/types.js';
import type { LabelSelector } from '../api/selectors.js';
import { selectorMatches } from '../api/selectors.js';

// Controller references (metav1.GetControllerOf / NewControllerRef) and the adopt/release
// decision of ControllerRefManager.ClaimObject.

export function controllerOf(obj: KObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function newControllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name as string,
    uid: owner.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export type Claim = 'owned' | 'adopt' | 'release' | 'ignore';

/** What the controller owner should do about obj given its selector. */
export function claim(owner: KObject, selector: LabelSelector | undefined, obj: KObject): Claim {
  const ref = controllerOf(obj);
  const matches = selectorMatches(selector, obj.metadata.labels);
  if (ref) {
    if (ref.uid !== owner.metadata.uid) return 'ignore';
    if (matches) return 'owned';
    // An owner being deleted keeps what it has; a dependent being deleted is not worth a write.
    if (owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) return 'owned';
    return 'release';
  }
  if (owner.metadata.deletionTimestamp || !matches || obj.metadata.deletionTimestamp) return 'ignore';
  return 'adopt';
}
