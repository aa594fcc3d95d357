import type { KObject } from '../../api/types.js';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../api/strategy/daemonset.js';
import { computeHash } from '../deployment/hash.js';

// Which template a daemon pod was made from. Upstream names the current revision by a
// ControllerRevision's hash; without that kind the hash is taken of the template itself, as
// the Deployment controller's pod-template-hash is, and pods carry it in the same label.

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

export function revisionHash(ds: KObject): string {
  const spec = (ds.spec ?? {}) as { template?: unknown };
  const collisions = (ds.status as { collisionCount?: number } | undefined)?.collisionCount;
  return computeHash(spec.template, collisions);
}

/** The template generation the apiserver keeps in an annotation, when there is one. */
export function templateGeneration(ds: KObject): string | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v && /^\d+$/.test(v) ? v : undefined;
}

/** IsPodUpdated: the pod carries the current hash, or (pods of older controllers) the current template generation. */
export function isPodUpdated(pod: KObject, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}
