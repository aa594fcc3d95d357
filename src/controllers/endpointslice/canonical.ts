// A stable text form of JSON values, so that "semantically equal" (same fields, any key
// order, absent and undefined alike) is string equality.

export function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}
