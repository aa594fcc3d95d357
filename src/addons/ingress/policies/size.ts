// nginx size values (client_max_body_size and friends).
//
//   parseSize(value: string): number | undefined
//     bytes for "<digits>[k|K|m|M|g|G]"; "0" is 0 (= unlimited for proxy-body-size);
//     undefined when nginx would refuse the value.
//
// Called by annotations.ts when it reads proxy-body-size; the request path uses the parsed
// number through policies/body-size.ts.

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 };

export function parseSize(value: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value.trim());
  if (!m) return undefined;
  const bytes = Number.parseInt(m[1]!, 10) * UNITS[m[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
