import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KObject } from '../../api/types.js';
import { newControllerRef } from '../../client/controllerref.js';
import { daemonPodTolerations, nodeNameAffinity } from './placement.js';
import { REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL } from './revision.js';

type Template = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: IPodSpec };

/**
 * A daemon pod for one node (CreatePodTemplate, then the node-name affinity syncNodes adds):
 * the template with the daemon tolerations, the revision labels, and pinned to its node.
 */
export function daemonPod(ds: KObject, node: string, name: string, hash: string, generation: string | undefined): KObject {
  const t = ((ds.spec as { template?: Template } | undefined)?.template ?? {}) as Template;
  const meta = t.metadata ?? {};
  const spec = structuredClone(t.spec ?? {}) as IPodSpec;
  spec.tolerations = daemonPodTolerations(spec);
  spec.affinity = nodeNameAffinity(spec, node);
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels,
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec,
  };
}
