import type { IIngressSpec } from 'kubernetes-models/networking.k8s.io/v1/IngressSpec';
import type { KObject } from '../types.js';
import type { AdmissionContext } from './context.js';

export type { AdmissionContext } from './context.js';

const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * Upstream's DefaultIngressClass admission plugin: a new Ingress that names no class (neither
 * spec.ingressClassName nor the legacy annotation) gets the IngressClass marked default; with
 * several marked, the most recently created one, as upstream chooses since 1.30.
 */
export function admitIngress(ing: KObject, ctx: AdmissionContext): void {
  const spec: Partial<IIngressSpec> = (ing.spec ??= {});
  if (spec.ingressClassName || ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION] !== undefined) return;
  const defaults = ctx
    .list('networking.k8s.io/ingressclasses')
    .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  if (defaults.length > 0) spec.ingressClassName = defaults[0].metadata.name;
}
