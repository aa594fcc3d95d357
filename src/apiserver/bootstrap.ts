import type { Objects } from './objects.js';

/** Namespaces every cluster has from the start, as upstream's system namespaces controller makes them. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function bootstrap(objects: Objects): void {
  const ns = objects.reg.kind('', 'Namespace')!;
  for (const name of SYSTEM_NAMESPACES) {
    if (objects.store.get('core/namespaces', '', name)) continue;
    objects.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, { fieldManager: 'kube-apiserver' });
  }
}
