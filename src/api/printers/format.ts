import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { LabelSelector, LabelSelectorRequirement } from '../types.js';

// Formatting helpers shared by the printers, each mirroring an apimachinery/printers function.

export type Json = Record<string, unknown>;

/**
 * The object at v, or {} when v is not one. Stored objects were type-checked against their
 * schema when written, so T (a kubernetes-models type) describes what is there; every field
 * stays optional because a printer must still print an object that lacks required ones.
 */
export function asObject<T extends object = Json>(v: unknown): Partial<T> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<T>) : {};
}

export function asArray<T = unknown>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function asInt(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** labels.FormatLabels: sorted `k=v` pairs joined by commas, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  const m = asObject(labels);
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${asString(m[k])}`).join(',');
}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`; empty or absent selectors print as "". Returns undefined where
 * upstream fails to convert (an unknown operator).
 */
export function labelSelectorString(selector: unknown): string | undefined {
  const sel = asObject<LabelSelector>(selector);
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(asObject(sel.matchLabels))) {
    reqs.push({ key, text: `${key}=${asString(value)}` });
  }
  for (const expr of asArray<Partial<LabelSelectorRequirement>>(sel.matchExpressions)) {
    const key = asString(expr.key);
    const values = asArray<string>(expr.values).slice().sort();
    const list = values.length === 1 ? values[0] : values.join(',');
    switch (expr.operator) {
      case 'In':
        reqs.push({ key, text: `${key} in (${list})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${list})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  // labels.Selector.Add keeps requirements sorted by key (a stable sort here; Go's is not, but keys
  // repeat only with matchExpressions on a matchLabels key, which validation discourages).
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = labelSelectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: container names and images of a pod template, comma-joined. */
export function layoutContainerCells(template: unknown): [string, string] {
  const containers = asArray<Partial<IContainer>>(asObject<IPodSpec>(asObject<IPodTemplateSpec>(template).spec).containers);
  return [containers.map((c) => asString(c.name)).join(','), containers.map((c) => asString(c.image)).join(',')];
}

/** A list capped at three entries, with upstream's ` + N more...` suffix. */
export function listWithMore(list: string[], count: number, max: number, more: boolean): string {
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

/** Go's sets.NewString(...).List(): distinct values, sorted. */
export function sortedSet(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * Go's json.Marshal of a decoded JSON value: map keys sorted, and <, >, & and the line/paragraph
 * separators escaped as \u00XX, which is how the apiserver prints array and object CRD cells.
 */
export function goJson(value: unknown): string {
  const text = JSON.stringify(sortKeys(value)) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Json)[k]);
    return out;
  }
  return value;
}
