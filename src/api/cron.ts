import { parseGoDuration } from './duration.js';
import { TimeZone } from './timezone.js';

// robfig/cron v3's standard parser (cron.ParseStandard) and its schedules' Next, which the
// apiserver validates CronJob schedules with and the CronJob controller runs them by: five
// fields or a descriptor, an optional TZ=/CRON_TZ= prefix, a day matched by day-of-month OR
// day-of-week unless either starts with '*', and its error messages word for word.
// npm's cron parsers accept more (seconds, L, W, #, day 7) and word errors their own way,
// so what the apiserver admits would not be what Kubernetes admits.

/** A schedule's next activation strictly after `t` (ms since epoch), or 0 when none within five years. */
export interface Schedule {
  next(t: number): number;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const STAR_BIT = 1n << 63n;
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

export class CronError extends Error {}

function bits(min: number, max: number, step: number): bigint {
  let b = 0n;
  for (let i = min; i <= max; i += step) b |= 1n << BigInt(i);
  return b;
}
const all = (r: Bounds) => bits(r.min, r.max, 1) | STAR_BIT;
const has = (set: bigint, i: number) => (set & (1n << BigInt(i))) !== 0n;

/** Go's strconv.Atoi with robfig's wording around it. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const big = BigInt(expr);
  // Atoi's range is int64's; past 2^53 the value only ever fails a field's bounds, printed rounded.
  if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) {
    throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  }
  const n = Number(big);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

function getRange(expr: string, r: Bounds): bigint {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let extra = 0n;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    extra = STAR_BIT;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (singleDigit) end = r.max;
    if (step > 1) extra = 0n;
  } else if (rangeAndStep.length > 2) throw new CronError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  return bits(start, end, step) | extra;
}

function getField(field: string, r: Bounds): bigint {
  let b = 0n;
  for (const expr of field.split(',').filter((s) => s !== '')) b |= getRange(expr, r);
  return b;
}

interface Spec {
  minute: bigint;
  hour: bigint;
  dom: bigint;
  month: bigint;
  dow: bigint;
}

/** dayMatches: both must match when either field is a '*', otherwise either may. */
function dayMatches(s: Spec, day: number, weekday: number): boolean {
  const domMatch = has(s.dom, day);
  const dowMatch = has(s.dow, weekday);
  if ((s.dom & STAR_BIT) !== 0n || (s.dow & STAR_BIT) !== 0n) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/** SpecSchedule.Next, walking the zone's wall clock as robfig does with time.Date and AddDate. */
class SpecSchedule implements Schedule {
  constructor(
    private readonly s: Spec,
    private readonly zone: TimeZone,
  ) {}

  next(from: number): number {
    const z = this.zone;
    // The upcoming whole second; the standard parser's seconds field is always 0.
    let t = Math.floor(from / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.fields(t).year + 5;
    wrap: for (;;) {
      let f = z.fields(t);
      if (f.year > yearLimit) return 0;
      while (!has(this.s.month, f.month)) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, 1, 0, 0, 0);
        }
        f = z.fields(t);
        t = z.date(f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
        f = z.fields(t);
        if (f.month === 1) continue wrap;
      }
      while (!dayMatches(this.s, f.day, f.weekday)) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, f.day, 0, 0, 0);
          f = z.fields(t);
        }
        t = z.date(f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
        f = z.fields(t);
        // A day that does not start at midnight (DST) is moved back onto it.
        if (f.hour !== 0) {
          t += (f.hour > 12 ? 24 - f.hour : -f.hour) * 3_600_000;
          f = z.fields(t);
        }
        if (f.day === 1) continue wrap;
      }
      while (!has(this.s.hour, f.hour)) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, f.day, f.hour, 0, 0);
        }
        t += 3_600_000;
        f = z.fields(t);
        if (f.hour === 0) continue wrap;
      }
      while (!has(this.s.minute, f.minute)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        f = z.fields(t);
        if (f.minute === 0) continue wrap;
      }
      if (f.second !== 0) {
        if (!added) t = Math.floor(t / 1000) * 1000;
        added = true;
        t += (60 - f.second) * 1000;
        continue wrap;
      }
      return t;
    }
  }
}

/** ConstantDelaySchedule: every d (whole seconds, at least one), from the start of t's second. */
class EverySchedule implements Schedule {
  constructor(private readonly delayMs: number) {}
  next(t: number): number {
    return t + this.delayMs - (t % 1000);
  }
}

function parseDescriptor(descriptor: string, zone: TimeZone): Schedule {
  const one = (r: Bounds) => 1n << BigInt(r.min);
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return new SpecSchedule({ minute: one(MINUTES), hour: one(HOURS), dom: one(DOM), month: one(MONTHS), dow: all(DOW) }, zone);
    case '@monthly':
      return new SpecSchedule({ minute: one(MINUTES), hour: one(HOURS), dom: one(DOM), month: all(MONTHS), dow: all(DOW) }, zone);
    case '@weekly':
      return new SpecSchedule({ minute: one(MINUTES), hour: one(HOURS), dom: all(DOM), month: all(MONTHS), dow: one(DOW) }, zone);
    case '@daily':
    case '@midnight':
      return new SpecSchedule({ minute: one(MINUTES), hour: one(HOURS), dom: all(DOM), month: all(MONTHS), dow: all(DOW) }, zone);
    case '@hourly':
      return new SpecSchedule({ minute: one(MINUTES), hour: all(HOURS), dom: all(DOM), month: all(MONTHS), dow: all(DOW) }, zone);
  }
  const every = '@every ';
  if (descriptor.startsWith(every)) {
    const text = descriptor.slice(every.length);
    const ms = parseGoDuration(text);
    if (ms === undefined) throw new CronError(`failed to parse duration ${descriptor}: time: invalid duration ${JSON.stringify(text)}`);
    const whole = Math.max(ms, 1000);
    return new EverySchedule(whole - (whole % 1000));
  }
  throw new CronError(`unrecognized descriptor: ${descriptor}`);
}

/** cron.ParseStandard; a schedule without a TZ= prefix runs in `localZone` (the controller's time.Local). */
export function parseStandard(spec: string, localZone?: string): Schedule {
  if (spec.length === 0) throw new CronError('empty spec string');
  let zone: TimeZone | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const name = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    zone = TimeZone.load(name);
    if (!zone) throw new CronError(`provided bad location ${name}: unknown time zone ${name}`);
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  zone ??= TimeZone.load(localZone ?? TimeZone.localName()) ?? TimeZone.UTC;
  if (spec.startsWith('@')) return parseDescriptor(spec, zone);
  const fields = spec.split(/\s+/).filter((s) => s !== '');
  if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(
    { minute: getField(fields[0]!, MINUTES), hour: getField(fields[1]!, HOURS), dom: getField(fields[2]!, DOM), month: getField(fields[3]!, MONTHS), dow: getField(fields[4]!, DOW) },
    zone,
  );
}
