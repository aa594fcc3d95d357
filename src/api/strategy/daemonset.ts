import { defaultPodTemplate } from '../defaults/index.js';
import { deepEqual } from '../equality.js';
import type { KObject } from '../types.js';
import type { Strategy } from './types.js';

// pkg/registry/apps/daemonset/strategy.go. The template generation (spec.templateGeneration
// of the internal type) is kept in apps/v1 as the annotation its conversion writes: it starts
// at 1 and counts the template's changes, and the controller labels pods with it.

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function templateGeneration(obj: KObject): number {
  const n = Number(obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function setTemplateGeneration(obj: KObject, n: number): void {
  obj.metadata = { ...obj.metadata, annotations: { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(n) } };
}

/** The template as it will be stored: defaults are applied after this hook, so compare like with like. */
function defaultedTemplate(obj: KObject): unknown {
  const t = structuredClone((obj.spec as { template?: unknown } | undefined)?.template);
  if (t && typeof t === 'object' && !Array.isArray(t)) defaultPodTemplate(t as Record<string, unknown>);
  return t;
}

export const daemonSetStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    setTemplateGeneration(obj, Math.max(1, templateGeneration(obj)));
  },
  prepareForUpdate(obj, old) {
    const oldGeneration = templateGeneration(old);
    const changed = !deepEqual(defaultedTemplate(obj), (old.spec as { template?: unknown } | undefined)?.template);
    setTemplateGeneration(obj, changed ? oldGeneration + 1 : oldGeneration);
  },
};
