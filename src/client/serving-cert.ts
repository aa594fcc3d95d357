// A self-signed serving certificate made on a worker thread. The X.509 library and what it
// allocates take about 8 MB that a process keeps for ever once loaded; small long-running
// programs (metrics-server) load it in a worker that ends with the certificate made.
import { Worker } from 'node:worker_threads';

export function servingCertOffThread(host: string, ips: string[], dnsNames: string[]): Promise<{ cert: string; key: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./serving-cert-worker.js', import.meta.url), { workerData: { host, ips, dnsNames } });
    let done = false;
    worker.once('message', (pair: { cert: string; key: string }) => {
      done = true;
      resolve(pair);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`generating a serving certificate for ${host}: the worker exited with code ${code} before it made one`));
    });
  });
}
