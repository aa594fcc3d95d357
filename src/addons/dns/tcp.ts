import type { Socket } from 'node:net';

// DNS over TCP as a server reads it (RFC 1035 4.2.2, RFC 7766): messages with a two-byte length
// before each, any number of them per connection, and a connection the client leaves idle closed
// by the server. The times are those of miekg/dns's server, which CoreDNS and Istio's DNS proxy
// serve with: 2 s for the first query (dnsTimeout), 8 s between queries (tcpIdleTimeout).

export interface TcpTimeouts {
  firstQueryMs: number;
  idleMs: number;
}

export const TCP_TIMEOUTS: TcpTimeouts = { firstQueryMs: 2000, idleMs: 8000 };

/**
 * Calls `onMessage` with each message the client sends, in order; closes the connection when
 * no query comes in time. Answers written back count as activity, so the idle time runs from
 * the last query or answer.
 */
export function readTcpMessages(sock: Socket, onMessage: (msg: Buffer) => void, timeouts: TcpTimeouts = TCP_TIMEOUTS): void {
  sock.setTimeout(timeouts.firstQueryMs, () => sock.destroy());
  let pending: Buffer | undefined;
  sock.on('data', (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    while (buf.length >= 2) {
      const end = 2 + buf.readUInt16BE(0);
      if (buf.length < end) break;
      const msg = buf.subarray(2, end);
      buf = buf.subarray(end);
      sock.setTimeout(timeouts.idleMs);
      onMessage(msg);
    }
    pending = buf.length > 0 ? buf : undefined;
  });
}

/** A message with its TCP length prefix. */
export function framed(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}
