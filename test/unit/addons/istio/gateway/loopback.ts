import net from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on now: the gateway's listeners route by the port they were configured with, so a test picks it first. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once `done` holds, checking every 10 ms for at most 5 s. */
export async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error('the condition did not come within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
