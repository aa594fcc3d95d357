import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { KObject, ObjectOf } from '../types.js';
import { errors } from '../errors.js';
import type { Strategy } from './types.js';

// Namespaces, after pkg/registry/core/namespace/strategy.go and storage/storage.go: deletion
// waits for spec.finalizers (emptied through the finalize subresource) and marks the
// namespace Terminating; the system namespaces cannot be deleted (NamespaceLifecycle admission).

const PROTECTED = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

const specFinalizers = (obj: KObject): string[] => (obj as ObjectOf<INamespace>).spec?.finalizers ?? [];

export const namespaceStrategy: Strategy = {
  // The status defaulting gives a new namespace (phase Active) stands.
  prepareForCreate() {},
  pendingFinalization: (obj) => specFinalizers(obj).length > 0,
  checkDelete(def, obj) {
    const name = obj.metadata.name ?? '';
    if (PROTECTED.has(name)) throw errors.forbidden(def, name, 'this namespace may not be deleted');
  },
  beginDelete(obj) {
    obj.status = { ...((obj.status as object) ?? {}), phase: 'Terminating' };
  },
  subresources: {
    // finalize changes spec.finalizers and nothing else.
    finalize: { update: (obj, old) => ({ ...old, spec: { ...((old.spec as object) ?? {}), finalizers: specFinalizers(obj) } }) },
  },
};
