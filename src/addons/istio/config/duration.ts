// Istio's durations as its CRDs accept them: protobuf's JSON form ("1.5s") and Go's
// time.ParseDuration units ("100ms", "1m30s"), which the validation webhook also allows.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/gy;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  return matched === text.length ? total : undefined;
}
