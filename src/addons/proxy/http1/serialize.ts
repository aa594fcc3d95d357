
// Message heads as the proxy writes them: one latin1 string per head, so a head and the first
// body bytes leave in one writev.

let dateSecond = -1;
let dateText = '';

/** The Date header value, formatted once per second as nginx and Envoy cache their time. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** `minor` 0 only for a server that answers HTTP/1.0 requests in their own version, as Envoy does once it accepts them. */
export function statusLine(status: number, reason: string, minor: 0 | 1 = 1): string {
  return `HTTP/1.${minor} ${status} ${reason}\r\n`;
}

/** `name: value\r\n` for each pair of a flat [name, value, …] list. */
export function headerLines(flat: readonly string[]): string {
  let out = '';
  for (let i = 0; i < flat.length; i += 2) out += flat[i] + ': ' + flat[i + 1] + '\r\n';
  return out;
}

export function requestHead(method: string, target: string, lines: string): string {
  return `${method} ${target} HTTP/1.1\r\n${lines}\r\n`;
}
