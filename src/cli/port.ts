// The API server port of a new cluster: 6443 (the Kubernetes default) for the default cluster
// when it is free, otherwise a port the kernel reports free. It is chosen once and recorded, so
// the kubeconfig stays valid across stop and up.
import { createServer } from 'node:net';
import { DEFAULT_CLUSTER_NAME } from '../cluster/constants.js';

export const DEFAULT_API_PORT = 6443;

/** Whether 127.0.0.1:port can be bound right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** `taken` holds ports recorded by other clusters, which may be stopped and so not bound. */
export async function choosePort(name: string, taken: ReadonlySet<number>): Promise<number> {
  if (name === DEFAULT_CLUSTER_NAME && !taken.has(DEFAULT_API_PORT) && (await portIsFree(DEFAULT_API_PORT))) {
    return DEFAULT_API_PORT;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await kernelChosenPort();
    if (!taken.has(port) && port !== DEFAULT_API_PORT) return port;
  }
  throw new Error('choosing a port: every port the kernel offered is recorded by another cluster');
}
