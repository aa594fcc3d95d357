// Keeps the node's `inet skiff-netpol` table in step with the cluster's NetworkPolicies. Runs
// inside the node's network namespace, as the node agent does.
import { runNft } from '../proxy/apply.js';
import { buildNetpolState, TABLE_FAMILY, TABLE_NAME, type NetpolInput, type NetpolState } from './rules.js';
import { deleteTableScript, fullSyncScript, incrementalSyncScript } from './script.js';
import type { Logger } from '../../log.js';

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

export class NetworkPolicyTable {
  private state: NetpolState | undefined;

  constructor(
    private readonly nodeName: string,
    private readonly o: { nft?: string; log?: Logger } = {},
  ) {}

  /**
   * Brings the table to the rules for these objects (complete current lists, as informer
   * caches hold them). The first call, and any call after a failure, rebuilds the whole table;
   * later ones write only the difference. Returns whether anything was written.
   */
  async sync(input: Omit<NetpolInput, 'nodeName'>): Promise<boolean> {
    const next = buildNetpolState({ ...input, nodeName: this.nodeName });
    const prev = this.state;
    // Forget the old state first: if nft fails half-way we cannot know what the table holds.
    this.state = undefined;
    if (!prev) {
      await runNft(fullSyncScript(next), `rebuilding table ${T} for node ${this.nodeName}`, this.o.nft);
      this.state = next;
      return true;
    }
    const script = incrementalSyncScript(prev, next);
    if (script === '') {
      this.state = prev;
      return false;
    }
    try {
      await runNft(script, `updating table ${T} for node ${this.nodeName}`, this.o.nft);
    } catch (e) {
      this.o.log?.('error', 'network policy: incremental update failed; rebuilding the whole table', { error: (e as Error).message });
      await runNft(fullSyncScript(next), `rebuilding table ${T} for node ${this.nodeName}`, this.o.nft);
    }
    this.state = next;
    return true;
  }

  /** Removes the table (the node is going away for good; an agent restart keeps it). */
  async remove(): Promise<void> {
    this.state = undefined;
    await runNft(deleteTableScript(), `deleting table ${T} of node ${this.nodeName}`, this.o.nft);
  }
}
