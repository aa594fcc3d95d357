import { parseArgs } from 'node:util';

// The node's programs (agent, host-port publisher and forwarder) are started by `skiff up` with
// `--flag value` pairs, all required. Other arguments are ignored, as they always were.

export function requiredFlags<const N extends string>(argv: string[], names: readonly N[], who: string): Record<N, string> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    strict: false,
    allowPositionals: true,
  });
  const out = {} as Record<N, string>;
  for (const n of names) {
    const v = values[n];
    if (typeof v !== 'string' || v === '') throw new Error(`${who}: missing --${n}`);
    out[n] = v;
  }
  return out;
}
