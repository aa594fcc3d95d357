// Entry point of the host-port publisher, started by `skiff up` in the host network namespace:
//   node dist/src/node/network/host-ports/main.js --cluster C --home H
// It reads the cluster record for the publish address and runs the forwarder in node 1.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clusterPaths, readClusterConfig } from '../../../cluster/home.js';
import { ApiClient } from '../../../client/client.js';
import { log } from '../../../log.js';
import { parseClusterArgs } from './args.js';
import { nodeAddress, nodeNetns } from '../names.js';
import { nodeExecArgv } from '../index.js';
import { HostPortPublisher } from './publisher.js';

export function forwarderEntry(): string {
  return fileURLToPath(new URL('./forwarder.js', import.meta.url));
}

async function main(): Promise<void> {
  const { cluster, home } = parseClusterArgs(process.argv.slice(2), 'skiff host-port publisher');
  const paths = clusterPaths(home, cluster);
  const config = readClusterConfig(paths);
  if (!config) throw new Error(`no cluster record at ${paths.config}`);
  const token = readFileSync(paths.token, 'utf8').trim();
  const client = new ApiClient({ socketPath: paths.socket, token, userAgent: `skiff-host-ports/v1.32.0 (linux) skiff/${cluster}` });
  const [cmd, ...pre] = nodeExecArgv(cluster, 0);
  const publisher = new HostPortPublisher({
    client,
    nodeAddress: nodeAddress(0),
    publishAddress: config.publishAddress,
    clusterDir: paths.dir,
    spawnForwarder: () =>
      spawn(cmd!, [...pre, process.execPath, forwarderEntry(), '--cluster', cluster, '--home', home], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: process.env,
      }),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'host-port publisher stopping', { cluster, signal });
    void publisher
      .stop()
      .then(() => client.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log('info', 'host-port publisher starting', { cluster, forwarderNetns: nodeNetns(cluster, 0), publishAddress: config.publishAddress ?? null });
  await publisher.start();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    log('error', 'host-port publisher failed', { error: e.message });
    process.exit(1);
  });
}
