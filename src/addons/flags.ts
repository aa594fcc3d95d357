import { parseArgs } from 'node:util';

// Go's flag package, which the programs the add-ons stand in for (CoreDNS, ingress-nginx) use,
// takes `-name` and `--name` alike, with `=v` or the next argument as the value of a value
// flag. parseArgs reads a single dash as a group of short options, so a single-dash flag gets
// its second dash before parsing; an argument that is a value flag's value is left as it is.

/** A flag (its value undefined for a value flag given last, or a boolean flag given alone) or a positional argument, in command-line order. */
export type GoArg = { kind: 'flag'; name: string; value?: string } | { kind: 'positional'; value: string };

export function parseGoFlags(argv: readonly string[], valueFlags: ReadonlySet<string>): GoArg[] {
  const args: string[] = [];
  let takesValue = false;
  let terminated = false;
  for (const a of argv) {
    const single = !takesValue && !terminated && /^-[^-]/.test(a);
    args.push(single ? `-${a}` : a);
    if (a === '--' && !takesValue) terminated = true;
    const m = /^--?([^=]+)$/.exec(a);
    takesValue = !takesValue && !terminated && m !== null && valueFlags.has(m[1]!);
  }
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries([...valueFlags].map((f) => [f, { type: 'string' as const }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: GoArg[] = [];
  for (const t of tokens) {
    if (t.kind === 'option') out.push(t.value === undefined ? { kind: 'flag', name: t.name } : { kind: 'flag', name: t.name, value: t.value });
    else if (t.kind === 'positional') out.push({ kind: 'positional', value: t.value });
  }
  return out;
}
