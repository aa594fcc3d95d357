// Run as a worker thread by servingCertOffThread: makes the certificate and hands it back.
import { parentPort, workerData } from 'node:worker_threads';
import { selfSignedServingCert } from './self-signed.js';

const { host, ips, dnsNames } = workerData as { host: string; ips: string[]; dnsNames: string[] };
parentPort!.postMessage(await selfSignedServingCert(host, ips, dnsNames));
