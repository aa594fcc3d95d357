import type { KObject, ResourceDef } from '../types.js';

// What a kind adds to the generic write path, after upstream's RESTCreateStrategy,
// RESTUpdateStrategy, RESTGracefulDeleteStrategy and the per-kind REST storage
// (pkg/registry/<group>/<kind>/strategy.go and storage.go). Every hook is optional: a kind
// without a strategy gets the generic behaviour.

/** Where a connect subresource is served: a kubelet path on a node. */
export interface KubeletLocation {
  node: string;
  path: string;
}

/** A POST that changes the parent object (pods/binding): the new parent and the answer. */
export interface SubresourceCreateResult {
  obj: KObject;
  code: number;
  response: object;
}

/** The behaviour of one subresource; its discovery facts are data in the kind's definition. */
export interface SubresourceStrategy {
  /** PUT: the stored object with only what this subresource may change taken from `obj`. */
  update?(obj: KObject, old: KObject): KObject;
  /** POST of `body` (already decoded) against the stored parent; `name` is the URL's. */
  create?(parent: KObject, body: unknown, name: string): SubresourceCreateResult;
  /** A stream the kubelet of the object's node serves (log, exec, attach, portforward). */
  connect?(parent: KObject, query: URLSearchParams): KubeletLocation;
  /** The connect subresource speaks only over an upgraded connection (WebSocket or SPDY). */
  upgrade?: boolean;
}

export interface Strategy {
  /** PrepareForCreate: server-set state of a new object. Default: an empty status when status is a subresource. */
  prepareForCreate?(obj: KObject): void;
  /** PrepareForUpdate: adjust an update in place before defaulting. */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  /** CheckGracefulDeleteStrategy: seconds the object lingers once deleted. Default: none. */
  gracePeriod?(obj: KObject, requested: number | undefined): number;
  /** Finalization beyond metadata.finalizers that a deletion waits for. */
  pendingFinalization?(obj: KObject): boolean;
  /** Refuses a deletion by throwing an ApiError. */
  checkDelete?(def: ResourceDef, obj: KObject): void;
  /** The object once its deletion has begun and it waits for finalization. */
  beginDelete?(obj: KObject): void;
  /** Delete answers with the deleted object rather than a Status (genericregistry.Store.ReturnDeletedObject). */
  returnDeletedObject?: boolean;
  subresources?: Record<string, SubresourceStrategy>;
}
