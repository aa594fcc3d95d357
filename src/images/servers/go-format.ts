// How Go's fmt and time packages print numbers and durations, for the image programs written in
// Go (fortio's reports, go-httpbin's errors, request logs): `%g`, `%.Ng` and Duration.String.

/** Significant digits (trailing zeros trimmed) and decimal exponent of |v|, rounded to `prec` digits or shortest. */
function decimal(v: number, prec?: number): { digits: string; exp: number } {
  const [mantissa, e] = (prec === undefined ? Math.abs(v).toExponential() : Math.abs(v).toExponential(Math.max(prec, 1) - 1)).split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, exp: Number(e) };
}

/**
 * fmt's `%g` (prec undefined: the shortest representation) and `%.<prec>g`: %e form for
 * exponents below -4 or at least the precision (6 for the shortest), plain decimals otherwise,
 * no trailing zeros: 0.0045, 1.234567e+06, 100000, 1e+06.
 */
export function goFloat(v: number, prec?: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return `${sign}0`;
  const { digits, exp } = decimal(v, prec);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = prec ?? 6;
  if (prec !== undefined && eprec > nd && nd >= dp) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    const frac = digits.slice(1);
    const e = Math.abs(exp);
    return `${sign}${digits[0]}${frac ? `.${frac}` : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= nd) return `${sign}${digits}${'0'.repeat(dp - nd)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

function fraction(value: number, unit: number, digits: number): string {
  const whole = Math.floor(value / unit);
  const rest = value % unit;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** time.Duration.String of a duration in nanoseconds: 0s, 850ns, 12.5µs, 59.8524ms, 1.5s, 2m0s, 1h0m0.5s. */
export function goDuration(ns: number): string {
  const n = Math.round(Math.abs(ns));
  const sign = ns < 0 && n !== 0 ? '-' : '';
  if (n === 0) return '0s';
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${fraction(n, 1e3, 3)}µs`;
  if (n < 1e9) return `${sign}${fraction(n, 1e6, 6)}ms`;
  const h = Math.floor(n / 3600e9);
  const m = Math.floor((n % 3600e9) / 60e9);
  const s = fraction(n % 60e9, 1e9, 9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}
