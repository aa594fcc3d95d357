// The node agent's NetworkPolicy loop: informers on NetworkPolicies, Pods and Namespaces; each
// event asks for a sync, the proxy's SyncRunner folds bursts into one nft run at a time (with
// backoff after a failure), and every run hands the complete cached lists to the table, which
// writes only what changed. Stopping leaves the table in place: pods stay isolated while no
// agent runs, and the next agent rebuilds it from its first full lists.
import type { KObject } from '../../api/types.js';
import { SharedInformers, type InformerLike, type ListWatcher } from '../../client/informer.js';
import { SyncRunner } from '../proxy/sync-runner.js';
import { ensureBridgeNetfilter } from './bridge-netfilter.js';
import type { NetpolInput } from './rules.js';
import { NetworkPolicyTable } from './table.js';
import { withFields, type Logger } from '../../log.js';
import { NAMESPACES, NETWORKPOLICIES, PODS } from '../../client/resources.js';


/** What the loop needs from NetworkPolicyTable; tests supply a recorder. */
export interface PolicySyncer {
  sync(input: Omit<NetpolInput, 'nodeName'>): Promise<boolean>;
}

export interface NetworkPolicyOptions {
  nodeName: string;
  /** Where the informers come from (the agent's API client). */
  client?: ListWatcher;
  /** Informers to use instead of building them from `client` (tests). */
  informers?: { policies: InformerLike; pods: InformerLike; namespaces: InformerLike };
  /** The table writer; default a NetworkPolicyTable for the node. */
  table?: PolicySyncer;
  /** Turn on bridge netfilter in this network namespace (default true; tests outside a node namespace say false). */
  bridgeNetfilter?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log: Logger;
}

export interface NetworkPolicyLoop {
  /** Resolves once the first sync has been attempted and no run is in flight. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export function startNetworkPolicy(o: NetworkPolicyOptions): NetworkPolicyLoop {
  const fields = { node: o.nodeName };
  let shared: SharedInformers | undefined;
  let inf: { policies: InformerLike; pods: InformerLike; namespaces: InformerLike };
  if (o.informers) inf = o.informers;
  else {
    if (!o.client) throw new Error(`network policy loop of node ${o.nodeName}: needs an API client or informers`);
    shared = new SharedInformers(o.client, withFields(o.log, fields));
    inf = { policies: shared.informer(NETWORKPOLICIES), pods: shared.informer(PODS), namespaces: shared.informer(NAMESPACES) };
  }
  const table = o.table ?? new NetworkPolicyTable(o.nodeName, { log: withFields(o.log, fields) });

  if (o.bridgeNetfilter !== false) {
    const problem = ensureBridgeNetfilter();
    if (problem) o.log('error', problem, fields);
  }

  const runner = new SyncRunner(
    async () => {
      const wrote = await table.sync({
        policies: inf.policies.list() as KObject[],
        pods: inf.pods.list() as KObject[],
        namespaces: inf.namespaces.list() as KObject[],
      });
      if (wrote) o.log('debug', 'network policy rules written', fields);
    },
    {
      minBackoffMs: o.minBackoffMs,
      maxBackoffMs: o.maxBackoffMs,
      onError: (e, ms) => o.log('error', 'syncing network policy rules', { ...fields, error: e.message, retryInMs: ms }),
    },
  );
  let synced = false;
  let stopped = false;
  const changed = () => {
    if (synced) runner.request();
  };
  const handler = { add: changed, update: changed, delete: changed };
  const all = [inf.policies, inf.pods, inf.namespaces];
  for (const i of all) i.addHandler(handler);
  if (shared) shared.start();
  else for (const i of all) i.start();
  // The first sync waits for all three full lists: half a picture would open or close pods
  // that the whole one does not.
  const allSynced = Promise.all(all.map((i) => i.waitForSync()));
  void allSynced.then(() => {
    if (stopped) return;
    synced = true;
    runner.request();
  });

  return {
    async settled() {
      await allSynced;
      await runner.idle();
    },
    async stop() {
      stopped = true;
      await runner.stop();
      if (shared) await shared.stop();
      else await Promise.all(all.map((i) => i.stop()));
    },
  };
}
