// fortio's stats package: a Counter (count, min, max, sum, stddev) and its fixed-bucket
// Histogram (values offset and divided, then counted in buckets 0..11 by 1, then coarser up to
// 100000), exported as ranges with cumulative percents, percentiles interpolated within a bucket,
// and printed as fortio prints them.
import { goFloat } from './go-format.js';

export class Counter {
  count = 0;
  min = 0;
  max = 0;
  sum = 0;
  private sumOfSquares = 0;

  record(v: number, n = 1): void {
    const first = this.count === 0;
    this.count += n;
    if (first) {
      this.min = v;
      this.max = v;
    } else if (v < this.min) {
      this.min = v;
    } else if (v > this.max) {
      this.max = v;
    }
    const s = v * n;
    this.sum += s;
    this.sumOfSquares += s * s;
  }

  avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  stdDev(): number {
    if (this.count === 0) return 0;
    const sigma = (this.sumOfSquares - (this.sum * this.sum) / this.count) / this.count;
    return sigma < 0 ? 0 : Math.sqrt(sigma);
  }

  /** Adds `src` to this counter. */
  transfer(src: Counter): void {
    if (src.count === 0) return;
    if (this.count === 0) {
      this.min = src.min;
      this.max = src.max;
    } else {
      this.min = Math.min(this.min, src.min);
      this.max = Math.max(this.max, src.max);
    }
    this.count += src.count;
    this.sum += src.sum;
    this.sumOfSquares += src.sumOfSquares;
  }

  /** `msg : count 20 avg 0.0056869 +/- 0.003869 min 0.000499 max 0.0144329 sum 0.113738`. */
  line(msg: string): string {
    return `${msg} : count ${this.count} avg ${goFloat(this.avg(), 8)} +/- ${goFloat(this.stdDev(), 4)} min ${goFloat(this.min)} max ${goFloat(this.max)} sum ${goFloat(this.sum, 9)}\n`;
  }
}

const BUCKETS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100,
  120, 140, 160, 180, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000,
  2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000,
];
const LAST = BUCKETS[BUCKETS.length - 1];

export interface Bucket {
  start: number;
  end: number;
  /** Cumulative percent up to and including this bucket. */
  percent: number;
  count: number;
}

export interface HistogramData {
  count: number;
  min: number;
  max: number;
  sum: number;
  avg: number;
  stdDev: number;
  data: Bucket[];
  percentiles: { percentile: number; value: number }[];
}

export class Histogram extends Counter {
  /** One count per bucket, the first for values ≤ 0, the last for values above 100000. */
  readonly hdata = new Array<number>(BUCKETS.length + 1).fill(0);

  constructor(
    readonly offset: number,
    readonly divider: number,
  ) {
    super();
  }

  override record(v: number, n = 1): void {
    super.record(v, n);
    this.hdata[this.bucketOf(v)] += n;
  }

  private bucketOf(v: number): number {
    const scaled = (v - this.offset) / this.divider;
    if (scaled <= BUCKETS[0]) return 0;
    if (scaled > LAST) return BUCKETS.length;
    // A value on a bucket's upper bound belongs to it: buckets are (prev, cur].
    let whole = Math.trunc(scaled);
    if (scaled - whole < 1e-12) whole--;
    for (let i = 1; i < BUCKETS.length; i++) if (BUCKETS[i] > whole) return i;
    return BUCKETS.length;
  }

  transferHistogram(src: Histogram): void {
    for (let i = 0; i < this.hdata.length; i++) this.hdata[i] += src.hdata[i];
    this.transfer(src);
  }

  export(percentiles: number[] = []): HistogramData {
    const res: HistogramData = {
      count: this.count, min: this.min, max: this.max, sum: this.sum, avg: this.avg(), stdDev: this.stdDev(), data: [], percentiles: [],
    };
    let lastIdx = -1;
    for (let i = this.hdata.length - 1; i >= 0; i--) {
      if (this.hdata[i] > 0) {
        lastIdx = i;
        break;
      }
    }
    if (lastIdx === -1) return res;
    let prev = BUCKETS[0];
    let total = 0;
    for (let i = 0; i <= lastIdx; i++) {
      if (this.hdata[i] === 0) {
        if (i < BUCKETS.length) prev = BUCKETS[i];
        continue;
      }
      total += this.hdata[i];
      const start = res.data.length === 0 ? this.min : this.divider * prev + this.offset;
      let end = this.max;
      if (i < BUCKETS.length) {
        end = this.divider * BUCKETS[i] + this.offset;
        prev = BUCKETS[i];
      }
      res.data.push({ start, end, percent: (100 * total) / this.count, count: this.hdata[i] });
    }
    res.data[res.data.length - 1].end = this.max;
    for (const p of percentiles) res.percentiles.push({ percentile: p, value: percentileOf(res, p) });
    return res;
  }
}

/** CalcPercentile: linear within the bucket the percentile falls in. */
function percentileOf(e: HistogramData, percentile: number): number {
  if (percentile >= 100) return e.max;
  let pp = 100 / e.count;
  if (percentile <= pp) return e.min;
  for (const cur of e.data) {
    if (percentile <= cur.percent) return cur.start + ((percentile - pp) / (cur.percent - pp)) * (cur.end - cur.start);
    pp = cur.percent;
  }
  return e.max;
}

/** HistogramData.Print: the counter line, the ranges, the percentile targets. */
export function printHistogram(e: HistogramData, msg: string): string {
  if (e.data.length === 0) return `${msg} : no data\n`;
  let out = `${msg} : count ${e.count} avg ${goFloat(e.avg, 8)} +/- ${goFloat(e.stdDev, 4)} min ${goFloat(e.min)} max ${goFloat(e.max)} sum ${goFloat(e.sum, 9)}\n`;
  out += '# range, mid point, percentile, count\n';
  e.data.forEach((b, i) => {
    out += `${i === 0 ? '>=' : '>'} ${goFloat(b.start, 6)} <= ${goFloat(b.end, 6)} , ${goFloat((b.start + b.end) / 2, 6)} , ${b.percent.toFixed(2)}, ${b.count}\n`;
  });
  for (const p of e.percentiles) out += `# target ${goFloat(p.percentile)}% ${goFloat(p.value, 6)}\n`;
  return out;
}

/** ParsePercentiles: `50,75,90,99,99.9`, each in (0, 100). */
export function parsePercentiles(text: string): number[] | { error: string } {
  const res: number[] = [];
  for (const raw of text.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    const p = Number(s);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return { error: `strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax` };
    if (p <= 0 || p >= 100) return { error: `percentile ${goFloat(p)} must be > 0 and < 100` };
    res.push(p);
  }
  if (res.length === 0) return { error: "list can't be empty" };
  return res;
}
