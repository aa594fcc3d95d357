// Calling the standard CNI plugins (Debian's containernetworking-plugins): the network
// configuration of a node and one plugin invocation.
import { join } from 'node:path';
import { type Launcher, spawnLauncher } from '../launcher.js';
import { POD_BRIDGE, cniNetworkName, podCIDR, podGateway } from './names.js';

export const CNI_PATH = '/usr/lib/cni';
export const CNI_VERSION = '1.0.0';

/** host-local keeps its allocations under <node state dir>/cni, so `skiff down` removes them with the node. */
export function cniDataDir(stateDir: string): string {
  return join(stateDir, 'cni');
}

export interface BridgeNetworkConfig {
  cniVersion: string;
  name: string;
  type: 'bridge';
  bridge: string;
  isGateway: boolean;
  ipMasq: boolean;
  hairpinMode: boolean;
  ipam: {
    type: 'host-local';
    ranges: { subnet: string; gateway: string }[][];
    routes: { dst: string; gw: string }[];
    dataDir: string;
  };
}

/**
 * The node's pod network: bridge cni0 holding the gateway address, host-local addresses from the
 * node's pod CIDR, a default route to the bridge. No masquerading: nothing leaves the machine.
 * Hairpin mode lets a pod reach itself through a Service address.
 */
export function bridgeNetworkConfig(o: { node: string; index: number; stateDir: string }): BridgeNetworkConfig {
  return {
    cniVersion: CNI_VERSION,
    name: cniNetworkName(o.node),
    type: 'bridge',
    bridge: POD_BRIDGE,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: podCIDR(o.index), gateway: podGateway(o.index) }]],
      routes: [{ dst: '0.0.0.0/0', gw: podGateway(o.index) }],
      dataDir: cniDataDir(o.stateDir),
    },
  };
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
}

export class CniError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface CniInvocation {
  command: 'ADD' | 'DEL';
  containerId: string;
  /** Path of the namespace; omitted on DEL when the namespace is already gone. */
  netns?: string;
  ifName: string;
  config: BridgeNetworkConfig;
  /** CNI_ARGS: `IgnoreUnknown=1;IP=<address>` asks host-local for that address. */
  args?: string;
}

/** Runs the plugin named by config.type. Resolves with its result (ADD) or undefined (DEL). */
export async function invokeCni(inv: CniInvocation, what: string, launcher: Launcher = spawnLauncher): Promise<CniResult | undefined> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_IFNAME: inv.ifName,
    CNI_PATH: CNI_PATH,
  };
  if (inv.netns) env.CNI_NETNS = inv.netns;
  if (inv.args) env.CNI_ARGS = inv.args;
  const plugin = join(CNI_PATH, inv.config.type);
  let r;
  try {
    r = await launcher.run([plugin], { env, input: JSON.stringify(inv.config) });
  } catch (e) {
    throw new CniError(`${what}: running CNI plugin ${plugin} ${inv.command}: ${(e as Error).message}`);
  }
  const stdout = r.stdout.toString('utf8').trim();
  if (r.code !== 0) {
    // Plugins report failures as a JSON error object on stdout.
    let msg = r.stderr.toString('utf8').trim() || `exit code ${r.code}`;
    let errCode: number | undefined;
    try {
      const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
      errCode = e.code;
      msg = [e.msg, e.details].filter(Boolean).join(': ') || msg;
    } catch {
      if (stdout) msg = stdout;
    }
    throw new CniError(`${what}: CNI plugin ${plugin} ${inv.command} failed: ${msg}`, errCode);
  }
  if (inv.command === 'DEL' || !stdout) return undefined;
  try {
    return JSON.parse(stdout) as CniResult;
  } catch {
    throw new CniError(`${what}: CNI plugin ${plugin} ${inv.command} printed no JSON result: ${stdout.slice(0, 200)}`);
  }
}

/** The first IPv4 address the result gives the container interface, without prefix length. */
export function resultIPv4(result: CniResult | undefined, ifName: string): string | undefined {
  if (!result?.ips) return undefined;
  const ifaces = result.interfaces ?? [];
  for (const a of result.ips) {
    const iface = a.interface !== undefined ? ifaces[a.interface] : undefined;
    if (iface && iface.name !== ifName) continue;
    const addr = a.address.split('/')[0];
    if (/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return addr;
  }
  return undefined;
}
