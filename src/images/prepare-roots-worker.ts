// Run as a worker thread by prepareImageRootsOffThread: assembles the roots and ends.
import { workerData } from 'node:worker_threads';
import { prepareImageRoots } from './index.js';

const { images, home, clusterDir } = workerData as { images: string[]; home: string; clusterDir: string };
prepareImageRoots(images, { home, clusterDir });
