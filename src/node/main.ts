import { readFileSync } from 'node:fs';
import { clusterPaths } from '../cluster/home.js';
import { ApiClient } from '../client/client.js';
import { log } from '../log.js';
import { requiredFlags } from './args.js';
import { NodeAgent } from './agent.js';

// Entry point of a node agent, started by `skiff up` inside the node's network namespace:
//   node dist/src/node/main.js --cluster C --home H --node NAME --index I

/** How long after its start an agent retries at once, and how soon. */
const QUICK_RETRY_WINDOW_MS = 5_000;
const QUICK_RETRY_MS = 20;

export interface AgentArgs {
  cluster: string;
  home: string;
  node: string;
  index: number;
}

export function parseAgentArgs(argv: string[]): AgentArgs {
  const { cluster, home, node, index: raw } = requiredFlags(argv, ['cluster', 'home', 'node', 'index'], 'skiff-node');
  const index = Number(raw);
  if (!Number.isInteger(index) || index < 0) throw new Error(`skiff-node: --index must be a non-negative integer, got ${raw}`);
  return { cluster, home, node, index };
}

/**
 * SKIFF_NODE_MONITOR_GRACE_PERIOD (seconds), which `skiff up` hands to the control plane and
 * the agents alike: the agent keeps its Lease renewals well inside it. Invalid values are the
 * control plane's to refuse; here they leave the defaults.
 */
export function nodeMonitorGracePeriodFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.SKIFF_NODE_MONITOR_GRACE_PERIOD;
  if (v === undefined || v === '') return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s > 0 ? s : undefined;
}

async function main(): Promise<void> {
  const args = parseAgentArgs(process.argv.slice(2));
  const paths = clusterPaths(args.home, args.cluster);
  const token = readFileSync(paths.token, 'utf8').trim();
  const client = new ApiClient({ socketPath: paths.socket, token, userAgent: `kubelet/v1.32.0 (linux) skiff/${args.node}` });
  const agent = new NodeAgent({
    cluster: args.cluster,
    home: args.home,
    clusterDir: paths.dir,
    nodeName: args.node,
    index: args.index,
    client,
    nodeMonitorGracePeriodSeconds: nodeMonitorGracePeriodFromEnv(process.env),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'node agent stopping; pods keep running', { node: args.node, signal });
    void agent
      .stop()
      .then(() => client.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The API may not be up yet (`skiff up` starts the agents beside a starting control plane) or
  // restarting: keep trying to start rather than exit. Within the first seconds a try is cheap
  // (a refused unix socket) and the node is on the way to a usable cluster, so it is made again
  // at once; later ones back off. A repeated error is logged once.
  const began = Date.now();
  let lastError = '';
  for (let attempt = 0, slow = 0; ; attempt++) {
    try {
      await agent.start();
      return;
    } catch (e) {
      if (stopping) return;
      const error = (e as Error).message;
      if (error !== lastError) log('error', 'starting node agent', { node: args.node, error, attempt });
      lastError = error;
      const delay = Date.now() - began < QUICK_RETRY_WINDOW_MS ? QUICK_RETRY_MS : Math.min(5_000, 500 * 2 ** slow++);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    log('error', 'node agent failed', { error: e.message });
    process.exit(1);
  });
}
