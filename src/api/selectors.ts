// Label and field selectors, as k8s.io/apimachinery/pkg/labels and pkg/fields read them.

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export class SelectorError extends Error {}

/** Parses `a=b,c!=d,e in (f,g),!h,i` into requirements; throws SelectorError on bad syntax. */
export function parseLabelSelector(s: string): Requirement[] {
  const out: Requirement[] = [];
  for (const part of splitTopLevel(s)) {
    const p = part.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^!\s*([^\s=!(),]+)$/))) out.push({ key: m[1], operator: 'DoesNotExist', values: [] });
    else if ((m = p.match(/^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      out.push({ key: m[1], operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3].split(',').map((v) => v.trim()).filter((v) => v !== '') });
    } else if ((m = p.match(/^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/))) {
      out.push({ key: m[1], operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]] });
    } else if ((m = p.match(/^([^\s=!(),]+)$/))) out.push({ key: m[1], operator: 'Exists', values: [] });
    else throw new SelectorError(`unable to parse requirement: found '${p}', expected: !, identifier, or 'end of string'`);
  }
  return out;
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

export function matchesRequirements(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values.includes(l[r.key])) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(l[r.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** True when the selector has no requirements: upstream reads it as "everything". */
export function selectorIsEmpty(sel: LabelSelector | undefined | null): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/**
 * Whether labels satisfy a metav1.LabelSelector. A missing selector matches nothing
 * (LabelSelectorAsSelector(nil) is labels.Nothing()); an empty one matches everything; an
 * unknown operator matches nothing.
 */
export function selectorMatches(sel: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (!sel || typeof sel !== 'object') return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    // A requirement that is not an object (null in a body being validated) matches nothing.
    if (r === null || typeof r !== 'object' || !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(r.operator)) return false;
    if (!matchesRequirements([{ key: r.key, operator: r.operator as Operator, values: Array.isArray(r.values) ? r.values : [] }], l)) return false;
  }
  return true;
}

/** The selector in the string syntax of `?labelSelector=` and Scale status.selector, sorted by key. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  if (!sel) return '';
  const parts: [string, string][] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push([k, `${k}=${v}`]);
  for (const r of sel.matchExpressions ?? []) {
    const vals = [...(r.values ?? [])].sort().join(',');
    if (r.operator === 'In') parts.push([r.key, `${r.key} in (${vals})`]);
    else if (r.operator === 'NotIn') parts.push([r.key, `${r.key} notin (${vals})`]);
    else if (r.operator === 'Exists') parts.push([r.key, r.key]);
    else if (r.operator === 'DoesNotExist') parts.push([r.key, `!${r.key}`]);
  }
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((p) => p[1])
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses `metadata.name=x,involvedObject.kind!=Pod` (`==` too). */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = p.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${p}'`);
    out.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return out;
}
