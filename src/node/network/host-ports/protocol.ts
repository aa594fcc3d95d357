// The messages between the publisher (host namespace) and its forwarder (node namespace) on
// the child process IPC channel. Listening sockets and the rare connection the publisher
// accepted itself travel as handles beside the message.
import type { Target } from './wanted.js';

export type ToForwarder =
  /** With a listening net.Server: accept on it and send each connection to target. */
  | { type: 'listen'; key: string; target: Target }
  /** With a net.Socket the publisher accepted before it handed the listener over. */
  | { type: 'connection'; key: string }
  | { type: 'retarget'; key: string; target: Target }
  /** Stop accepting; connections in flight keep going. Answered with `closed` once the port is free. */
  | { type: 'close'; key: string; id: number };

export type FromForwarder =
  /**
   * Sent once the forwarder listens for messages. An ES module child starts reading its channel
   * while its imports still load, and a message read before a listener exists is dropped.
   */
  | { type: 'ready' }
  | { type: 'closed'; id: number };

export function isToForwarder(m: unknown): m is ToForwarder {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && typeof (m as { key?: unknown }).key === 'string';
}

export function isFromForwarder(m: unknown): m is FromForwarder {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || (t === 'closed' && typeof (m as { id?: unknown }).id === 'number');
}
