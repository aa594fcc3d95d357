// Applies the proxy's nftables scripts in the current network namespace (the node agent runs
// inside its node's namespace), and clears stale UDP conntrack entries when `conntrack` exists.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  buildProxyState,
  deleteTableScript,
  fullSyncScript,
  incrementalSyncScript,
  staleUDPEntries,
  TABLE_FAMILY,
  TABLE_NAME,
  updateProxyState,
  type EndpointSliceJSON,
  type NodeFacts,
  type ProxyState,
  type ServiceChange,
  type ServiceJSON,
  type StaleUDP,
} from './rules.js';
import type { Logger } from '../../log.js';

export class NftError extends Error {
  constructor(
    message: string,
    /** The script lines nft complained about. */
    readonly failing: string[],
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // nft may exit before reading everything; close tells why
    child.stdin.end(input ?? '');
  });
}

/** Runs `nft -f -` with the script as one transaction; on failure names the failing lines. */
export async function runNft(script: string, what: string, nft = 'nft'): Promise<void> {
  let r;
  try {
    r = await run(nft, ['-f', '-'], script);
  } catch (e) {
    throw new NftError(`${what}: cannot run ${nft}: ${(e as Error).message}`, [], '');
  }
  if (r.code === 0) return;
  const lines = script.split('\n');
  // nft reports "<file>:<line>:<cols>: Error: ..." for each bad command.
  const failing = [...new Set([...r.stderr.matchAll(/^[^\s:]*:(\d+):\d+(?:-\d+)?: Error/gm)].map((m) => Number(m[1])))]
    .map((n) => lines[n - 1])
    .filter((l): l is string => l !== undefined);
  const first = r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.trim();
  throw new NftError(
    `${what}: nft -f - exited with ${r.code}: ${first}${failing.length ? `; failing command: ${failing[0]}` : ''}`,
    failing,
    r.stderr,
  );
}

function onPath(cmd: string): string | undefined {
  if (cmd.includes('/')) return cmd;
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** conntrack(8) arguments deleting one kind of stale UDP flow. */
export function conntrackArgs(s: StaleUDP): string[] {
  const args = ['-D', '-p', 'udp'];
  if (s.frontendIP) args.push('--orig-dst', s.frontendIP);
  if (s.nodePort) args.push('--dport', String(s.nodePort));
  if (s.endpointIP) args.push('--dst-nat', s.endpointIP);
  return args;
}

export interface ServiceProxyOptions {
  /** The nft binary (default `nft` on PATH). */
  nft?: string;
  /** The conntrack binary; null disables cleanup. Default: `conntrack` if installed. */
  conntrack?: string | null;
  log?: Logger;
}

/**
 * Keeps the node's `ip skiff-proxy` table in step with the Services and EndpointSlices it is
 * given. start() rebuilds the table from scratch; sync() applies only what changed since the
 * last successful sync, falling back to a full rebuild when the incremental transaction fails.
 */
export class ServiceProxy {
  private state: ProxyState | undefined;
  private readonly nft: string;
  private readonly conntrack: string | undefined;
  private readonly log: Logger;

  constructor(
    private node: NodeFacts,
    o: ServiceProxyOptions = {},
  ) {
    this.nft = o.nft ?? 'nft';
    this.log = o.log ?? (() => {});
    this.conntrack = o.conntrack === null ? undefined : onPath(o.conntrack ?? 'conntrack');
    if (o.conntrack !== null && !this.conntrack) {
      this.log('warning', 'conntrack(8) not found (Debian package conntrack): stale UDP flows to removed endpoints stay until they time out');
    }
  }

  /** Replaces the table with the rules for these objects (agent start). */
  async start(services: ServiceJSON[], slices: EndpointSliceJSON[]): Promise<void> {
    const next = buildProxyState(services, slices, this.node);
    await runNft(fullSyncScript(next), `rebuilding table ${TABLE_FAMILY} ${TABLE_NAME} for node ${this.node.nodeName}`, this.nft);
    this.state = next;
  }

  /**
   * Brings the table to the rules for these objects (the complete current lists, as an
   * informer cache holds them). Returns whether anything was written.
   */
  async sync(services: ServiceJSON[], slices: EndpointSliceJSON[], node: NodeFacts = this.node): Promise<boolean> {
    this.node = node;
    if (!this.state) {
      await this.start(services, slices);
      return true;
    }
    const prev = this.state;
    const next = buildProxyState(services, slices, node);
    // Shared slot chains are never deleted while the table lives: writing one again would double its rules.
    if (next.nodeKey === prev.nodeKey) for (const n of prev.slotSizes) next.slotSizes.add(n);
    const script = incrementalSyncScript(prev, next);
    if (script === '') return false;
    try {
      await runNft(script, `updating table ${TABLE_FAMILY} ${TABLE_NAME} for node ${node.nodeName}`, this.nft);
      this.state = next;
    } catch (e) {
      // start() records the state it wrote: next also names slot chains the rebuilt table lacks.
      this.log('error', 'service proxy: incremental update failed; rebuilding the whole table', { error: (e as Error).message });
      this.state = undefined;
      await this.start(services, slices);
    }
    await this.clearStaleUDP(staleUDPEntries(prev, next));
    return true;
  }

  /** Whether a table has been written (start() or a first sync succeeded). */
  get programmed(): boolean {
    return this.state !== undefined;
  }

  /**
   * Applies the changes of some Services (keyed "namespace/name", with their current object and
   * slices) to the table: the work follows the size of the change. `all` gives the complete
   * lists, for the first sync and for the full rebuild after a failed transaction.
   */
  async syncChanged(changes: Map<string, ServiceChange>, all: () => { services: ServiceJSON[]; slices: EndpointSliceJSON[] }): Promise<boolean> {
    const prev = this.state;
    if (!prev) {
      const { services, slices } = all();
      await this.start(services, slices);
      return true;
    }
    const next = updateProxyState(prev, changes);
    const script = incrementalSyncScript(prev, next);
    const stale = staleUDPEntries(prev, next);
    next.touched = undefined; // it points at prev: kept, it would chain every state ever made
    if (script === '') {
      this.state = next;
      return false;
    }
    try {
      await runNft(script, `updating table ${TABLE_FAMILY} ${TABLE_NAME} for node ${this.node.nodeName}`, this.nft);
      this.state = next;
    } catch (e) {
      this.log('error', 'service proxy: incremental update failed; rebuilding the whole table', { error: (e as Error).message });
      this.state = undefined;
      const { services, slices } = all();
      await this.start(services, slices);
    }
    await this.clearStaleUDP(stale);
    return true;
  }

  /** Removes the table (the node is going away). */
  async stop(): Promise<void> {
    await runNft(deleteTableScript(), `deleting table ${TABLE_FAMILY} ${TABLE_NAME} of node ${this.node.nodeName}`, this.nft);
    this.state = undefined;
  }

  private async clearStaleUDP(entries: StaleUDP[]): Promise<void> {
    if (!this.conntrack) return;
    for (const s of entries) {
      const args = conntrackArgs(s);
      try {
        const r = await run(this.conntrack, args);
        // Exit code 1 with "0 flow entries" only means there was nothing to delete.
        if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) this.log('error', 'service proxy: clearing conntrack entries failed', { args: args.join(' '), error: r.stderr.trim() });
      } catch (e) {
        this.log('error', 'service proxy: clearing conntrack entries failed', { args: args.join(' '), error: (e as Error).message });
      }
    }
  }
}
