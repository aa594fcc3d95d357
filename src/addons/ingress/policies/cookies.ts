// Request cookies as nginx's $cookie_<name> sees them.
//
//   cookieValue(cookieHeader: string | string[] | undefined, name: string): string | undefined
//     the value of the first cookie called `name` (nginx compares names case-insensitively)
//     in the Cookie header(s); undefined when absent.
//   cookieTime(epochSeconds: number): string
//     nginx's ngx.cookie_time format, e.g. "Thu, 18-Nov-10 11:27:35 GMT" (two-digit year up
//     to 2037, as nginx writes it).
//
// Used by policies/canary.ts callers (canary-by-cookie) and policies/affinity.ts.

export function cookieValue(cookieHeader: string | string[] | undefined, name: string): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const headers = Array.isArray(cookieHeader) ? cookieHeader : [cookieHeader];
  const wanted = name.toLowerCase();
  for (const header of headers) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim().toLowerCase() === wanted) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function cookieTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const year = d.getUTCFullYear();
  const y = year > 2037 ? String(year) : String(year % 100).padStart(2, '0');
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${y} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`;
}
