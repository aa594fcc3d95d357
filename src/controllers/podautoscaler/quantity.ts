// resource.Quantity as the autoscaler uses it: exact milli-values (MilliValue() rounds up, as
// upstream's does) and the canonical text of the quantities it writes into the HPA status.

const QUANTITY_RE = /^([+-]?)(\d+)?(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXP: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** The quantity in thousandths of its unit, rounded up; undefined when it is not a quantity. */
export function milliValue(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? Math.ceil(q * 1000) : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY_RE.exec(q.trim());
  if (!m || (m[2] === undefined && !m[3])) return undefined;
  const frac = m[3] ?? '';
  let num = BigInt(`${m[2] ?? '0'}${frac}`) * 1000n;
  let den = 10n ** BigInt(frac.length);
  const suffix = m[5] ?? '';
  if (m[4]) {
    const e = Number(m[4].slice(1));
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  } else if (suffix in BINARY_EXP) {
    num *= 2n ** BigInt(BINARY_EXP[suffix]);
  } else {
    const e = DECIMAL_EXP[suffix];
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  }
  const v = ceilDiv(num, den);
  return Number(m[1] === '-' ? -v : v);
}

const DECIMAL_SUFFIX: Record<number, string> = { [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** resource.NewMilliQuantity(milli, DecimalSI).String(): the largest exponent of 1000 that keeps the mantissa whole. */
export function decimalMilliQuantity(milli: number): string {
  if (milli === 0) return '0';
  const sign = milli < 0 ? '-' : '';
  let mantissa = Math.abs(milli);
  let exp = -3;
  while (mantissa % 1000 === 0 && exp < 18) {
    mantissa /= 1000;
    exp += 3;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX[exp]}`;
}

/**
 * resource.NewMilliQuantity(milli, BinarySI).String(): a whole number of units in the largest
 * power of 1024 that divides it; a fractional amount falls back to decimal notation, as upstream.
 */
export function binaryMilliQuantity(milli: number): string {
  if (milli % 1000 !== 0) return decimalMilliQuantity(milli);
  const sign = milli < 0 ? '-' : '';
  let units = Math.abs(milli / 1000);
  if (units === 0) return '0';
  let i = 0;
  while (units % 1024 === 0 && i < BINARY_SUFFIX.length - 1) {
    units /= 1024;
    i++;
  }
  return `${sign}${units}${BINARY_SUFFIX[i]}`;
}
