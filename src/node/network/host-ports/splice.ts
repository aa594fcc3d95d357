// Joins two TCP connections, as docker-proxy does: bytes flow both ways with backpressure (pipe
// pauses the faster side), a FIN on one side is passed on as a FIN on the other (half-close, so
// request-then-shutdown clients work), and an error or reset on either side ends both.
import type { Socket } from 'node:net';

/** Idle connections are probed so a peer that vanished without a FIN does not hold a socket forever. */
const KEEPALIVE_DELAY_MS = 60_000;

/** Ends a socket with a reset when it can, so the other end sees what went wrong on ours. */
function reset(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/** Both sockets must have been created with allowHalfOpen, or a FIN would close them outright. */
export function splice(a: Socket, b: Socket): void {
  for (const s of [a, b]) {
    s.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    s.setNoDelay(true);
  }
  // pipe() ends the destination when the source ends: with allowHalfOpen that is exactly a
  // forwarded FIN, and the other direction keeps flowing until it ends too.
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => reset(b));
  b.on('error', () => reset(a));
  // A socket destroyed without an error (a timeout, a local destroy) takes its partner along;
  // one closed after both FINs leaves the partner to finish flushing on its own.
  a.once('close', () => {
    if (!a.readableEnded || !a.writableFinished) b.destroy();
  });
  b.once('close', () => {
    if (!b.readableEnded || !b.writableFinished) a.destroy();
  });
}
