/**
 * A time formatter for access log lines that formats each second once: a proxy writing a line
 * per request need not format a date per request. `format` gets the second (epoch seconds).
 */
export function perSecond(format: (second: number) => string): (ms: number) => string {
  let cachedSecond = NaN;
  let cachedText = '';
  return (ms) => {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      cachedText = format(second);
    }
    return cachedText;
  };
}
