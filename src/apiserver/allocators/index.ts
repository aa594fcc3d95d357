import type { FieldError, KObject } from '../../api/types.js';
import { kindKey } from '../../api/kinds.js';
import type { Store } from '../../storage/store.js';
import { ServiceAllocators } from './service.js';

/**
 * Values the server hands out from a shared pool as an object is written (a Service's
 * ClusterIPs, NodePorts and LoadBalancer addresses), as upstream's REST storage wraps its
 * generic store with allocators. They follow the store, so they live beside it.
 */
export interface Allocator {
  allocateCreate(obj: KObject): FieldError[];
  /** Carries allocated values an update left out over from the stored object, before defaulting. */
  prepareUpdate(obj: KObject, old: KObject): void;
  allocateUpdate(obj: KObject, old: KObject): FieldError[];
  /** A status write: what the server provides in status (a LoadBalancer address) is provided again if it was dropped. */
  allocateStatus(obj: KObject): void;
}

/** Each allocating kind's allocator over `store`, by kind key. */
export function allocatorsFor(store: Store): Record<string, Allocator> {
  return { [kindKey('', 'Service')]: ServiceAllocators.follow(store) };
}
