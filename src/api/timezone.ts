// An IANA time zone as Go's time.LoadLocation gives one: the wall clock of an instant, and the
// instant of a wall clock (time.Date, which normalizes out-of-range fields such as day 32).
// The zone database is the one Node's ICU carries, as kube-apiserver embeds Go's time/tzdata.

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 (Sunday) – 6 */
  weekday: number;
}

const QUARTER_HOUR_MS = 900_000;
/** About a year of quarter hours per zone. */
const MAX_CACHED_OFFSETS = 40_000;

export class TimeZone {
  static readonly UTC = new TimeZone('UTC', undefined);
  /** Zones found; names not found are not kept, as any request may bring a new one. */
  private static readonly loaded = new Map<string, TimeZone>();

  /** Offsets by quarter hour: zones change offset only at quarter-hour instants (UTC) since 1972. */
  private readonly offsets = new Map<number, number>();

  private constructor(
    readonly name: string,
    private readonly format: Intl.DateTimeFormat | undefined,
  ) {}

  private static local?: string;

  /**
   * The zone of this process (Go's time.Local), from TZ or the system's setting; worked out once,
   * as Go does, rather than at every sync and validation.
   */
  static localName(): string {
    TimeZone.local ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
    return TimeZone.local;
  }

  /** time.LoadLocation: "" and "UTC" are UTC; undefined for a name the database lacks. */
  static load(name: string): TimeZone | undefined {
    if (name === '' || name === 'UTC') return TimeZone.UTC;
    const known = TimeZone.loaded.get(name);
    if (known) return known;
    let zone: TimeZone | undefined;
    try {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
      // ICU matches names case-insensitively; Go's zoneinfo lookup is by file name, which is not.
      zone = isKnownSpelling(name) ? new TimeZone(name, format) : undefined;
    } catch {
      zone = undefined;
    }
    if (zone) TimeZone.loaded.set(name, zone);
    return zone;
  }

  fields(t: number): WallClock {
    return utcFields(t + this.offset(t));
  }

  /** Offset from UTC in ms at instant t. */
  offset(t: number): number {
    if (!this.format) return 0;
    const quarter = Math.floor(t / QUARTER_HOUR_MS);
    let off = this.offsets.get(quarter);
    if (off === undefined) {
      // ICU's formatting is the slow part of walking a schedule: ask once per quarter hour.
      const at = quarter * QUARTER_HOUR_MS;
      const p: Record<string, string> = {};
      for (const part of this.format.formatToParts(at)) p[part.type] = part.value;
      off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - at;
      if (this.offsets.size >= MAX_CACHED_OFFSETS) this.offsets.clear();
      this.offsets.set(quarter, off);
    }
    return off;
  }

  /** Go's time.RFC3339 of t in this zone: "Z" for a zero offset, else ±hh:mm; whole seconds. */
  rfc3339(t: number): string {
    const f = this.fields(t);
    const off = Math.round(this.offset(t) / 60_000);
    const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
    return `${f.year}-${two(f.month)}-${two(f.day)}T${two(f.hour)}:${two(f.minute)}:${two(f.second)}${zone}`;
  }

  /** time.Date(year, month, day, hour, min, sec, 0, zone), fields normalized as Go does. */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    if (!this.format) return wall;
    // The offset in force at the wall time, read at the instant the first guess lands on.
    const guess = wall - this.offset(wall);
    return wall - this.offset(guess);
  }
}

let canonical: Set<string> | undefined;

function isKnownSpelling(name: string): boolean {
  canonical ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonical.has(name)) return true;
  // Aliases (US/Eastern, Etc/GMT+5) are not listed; ICU resolves them to a listed zone, and a
  // name spelled in another case resolves to the listed spelling of itself.
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  return resolved.toLowerCase() !== name.toLowerCase() || resolved === name;
}

function utcFields(t: number): WallClock {
  const d = new Date(t);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
  };
}

const two = (n: number) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z of t in UTC, as events print times. */
export function rfc1123z(t: number): string {
  const f = utcFields(t);
  return `${DAYS[f.weekday]}, ${two(f.day)} ${MONTHS[f.month - 1]} ${f.year} ${two(f.hour)}:${two(f.minute)}:${two(f.second)} +0000`;
}
