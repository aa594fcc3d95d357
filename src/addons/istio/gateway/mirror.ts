import net from 'node:net';
import type { Endpoint } from '../../proxy/endpoints.js';
import { headerLines, requestHead } from '../../proxy/http1/serialize.js';

// Envoy's request mirroring (pilot's request_mirror_policies from `mirror`): a copy of the
// request goes to the mirror cluster, fire and forget. Its Host has `-shadow` appended to the
// name (before a port), as Envoy's shadow writer does; its answer is read and dropped, and
// nothing about it reaches the client or the access log. The copy takes its own connection and
// closes it after the answer (`connection: close`), so that a slow mirror never holds the
// primary's connections; it lasts at most as long as the route's timeout would let it.

/** Envoy's shadowAppendedHost. */
export function shadowHost(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(host);
  if (!m) return `${host}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/** Whether this request is mirrored, for a mirror of `percent` percent. */
export function mirrored(percent: number, random = Math.random): boolean {
  return percent >= 100 || random() * 100 < percent;
}

export interface ShadowRequest {
  /** A piece of the client's body (in its own framing) as the primary reads it; null at its end. */
  body(chunk: Buffer | null): void;
  /** The primary request is over: a copy whose body is not all sent is abandoned (the mirror would wait for the rest). */
  abandon(): void;
}

const SHADOW_TIMEOUT_MS = 15_000;

/** Sends the copy: `lines` are the primary's upstream header lines (name, value, …). */
export function sendShadow(ep: Endpoint, method: string, target: string, lines: string[], timeoutMs: number | undefined, withBody: boolean): ShadowRequest {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const k = lines[i]!.toLowerCase();
    if (k === 'connection' || k === 'x-envoy-attempt-count') continue;
    out.push(lines[i]!, k === 'host' ? shadowHost(lines[i + 1]!) : lines[i + 1]!);
  }
  out.push('connection', 'close');
  const socket = net.connect({ host: ep.address, port: ep.port, noDelay: true });
  socket.on('error', () => socket.destroy());
  socket.setTimeout(timeoutMs ?? SHADOW_TIMEOUT_MS, () => socket.destroy());
  socket.on('data', () => undefined);
  socket.on('end', () => socket.destroy());
  socket.write(requestHead(method, target, headerLines(out)), 'latin1');
  let bodyDone = !withBody;
  return {
    body: (chunk) => {
      if (chunk === null) bodyDone = true;
      else if (!socket.destroyed) socket.write(chunk);
    },
    abandon: () => {
      if (!bodyDone) socket.destroy();
    },
  };
}
