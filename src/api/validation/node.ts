import type { FieldError, KObject } from '../types.js';
import { child, duplicate, index, invalid, notSupported } from './field.js';
import { arr, obj } from './json.js';
import { CIDR_ERROR, isQualifiedName, isValidCIDR, isValidLabelValue } from './names.js';
import { parseQuantity, QUANTITY_ERROR } from './quantity.js';

// Node rules. Upstream reports taint errors under `metadata.taints`, and that path is kept.

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateNode(node: KObject): FieldError[] {
  const spec = obj(node.spec);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(spec.taints).forEach((raw: unknown, i: number) => {
    const t = obj(raw);
    const p = index(child('metadata', 'taints'), i);
    const k = String(t.key ?? '');
    for (const m of isQualifiedName(k)) errs.push(invalid(child(p, 'key'), k, m));
    const v = String(t.value ?? '');
    const vm = isValidLabelValue(v);
    if (vm.length) errs.push(invalid(child(p, 'value'), v, vm.join(';')));
    if (typeof t.effect !== 'string' || !TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(child(p, 'effect'), t.effect ?? '', TAINT_EFFECTS));
    const id = `${t.effect}/${k}`;
    if (seen.has(id)) errs.push({ ...duplicate(p, JSON.stringify(raw)), detail: 'taints must be unique by key and effect pair' });
    seen.add(id);
  });
  arr(spec.podCIDRs).forEach((c: unknown, i: number) => {
    if (!isValidCIDR(String(c))) errs.push(invalid(index(child('spec', 'podCIDRs'), i), c, CIDR_ERROR));
  });
  const status = obj(node.status);
  for (const list of ['capacity', 'allocatable']) {
    const res = obj(status[list]);
    for (const name of Object.keys(res).sort()) {
      const q = parseQuantity(res[name]);
      const p = child('status', list, name);
      if (q === undefined) errs.push(invalid(p, String(res[name]), QUANTITY_ERROR));
      else if (q < 0) errs.push(invalid(p, String(res[name]), 'must be greater than or equal to 0'));
    }
  }
  return errs;
}
