// Ages as kubectl shows them. Upstream renders them on the server (duration.HumanDuration via
// translateTimestampSince), so `kubectl get` prints exactly these strings.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Go's zero time.Time, which upstream treats as "no timestamp". */
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** duration.HumanDuration: a succinct duration with ~2-3 significant figures. */
export function humanDuration(ms: number): string {
  // Go converts with int(), which truncates toward zero; up to 2s in the future still reads "0s"
  // to tolerate clock skew between machines.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** Milliseconds of an RFC 3339 timestamp, or undefined when absent, unparsable or Go's zero time. */
export function timestampMs(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms) || ms <= GO_ZERO_TIME) return undefined;
  return ms;
}

/** translateTimestampSince: "<unknown>" for a missing timestamp, else the human age at `now`. */
export function translateTimestampSince(ts: unknown, now: number): string {
  const ms = timestampMs(ts);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}
