import type { FieldError } from '../types.js';
import { child, forbidden, goQuote, goStringMap, GoValue, index, invalid, required } from './field.js';
import { arr, isObject, obj } from './json.js';
import { isQualifiedName, isValidLabelValue } from './names.js';

// Labels and label selectors, as k8s.io/apimachinery/pkg/apis/meta/v1/validation.

export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

/** Keys sorted so that the error order is stable (upstream iterates a Go map). */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isObject(labels)) return [];
  const errs: FieldError[] = [];
  for (const k of Object.keys(labels).sort()) {
    errs.push(...validateLabelName(k, path));
    const v = typeof labels[k] === 'string' ? labels[k] : String(labels[k]);
    errs.push(...isValidLabelValue(v).map((m) => invalid(path, v, m)));
  }
  return errs;
}

export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (!isObject(sel)) return [];
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((r: unknown, i: number) => errs.push(...validateSelectorRequirement(r, index(child(path, 'matchExpressions'), i))));
  return errs;
}

function validateSelectorRequirement(raw: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(raw);
  const values = arr(r.values);
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(child(path, 'operator'), r.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(typeof r.key === 'string' ? r.key : '', child(path, 'key')));
  values.forEach((v, i) => {
    const s = String(v);
    const msgs = isValidLabelValue(s);
    if (msgs.length) errs.push(invalid(index(child(path, 'values'), i), s, msgs.join('; ')));
  });
  return errs;
}

/** Go's %#v of a metav1.LabelSelector, as printed in `field is immutable` errors. */
export function goLabelSelector(sel: unknown): GoValue {
  if (!isObject(sel)) return new GoValue('null');
  const ml = isObject(sel.matchLabels) ? goStringMap(sel.matchLabels) : 'map[string]string(nil)';
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : undefined;
  const me = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((raw: unknown) => {
          const r = obj(raw);
          const vals = Array.isArray(r.values) ? `[]string{${r.values.map((v: unknown) => goQuote(String(v))).join(', ')}}` : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${goQuote(String(r.key ?? ''))}, Operator:${goQuote(String(r.operator ?? ''))}, Values:${vals}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(`v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`);
}

/** A string map as the Go value printed for template labels and selectors. */
export function goMap(m: unknown): GoValue {
  return new GoValue(isObject(m) ? goStringMap(m) : 'map[string]string(nil)');
}
