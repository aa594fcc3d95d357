// Egress: the way off the machine for a cluster created with `--egress all|<CIDR,…>` (see
// egress-rules.ts for the path and the rules). Created by the CLI in the host namespace after the
// fabric and the nodes; removed with the cluster's network. With `--egress none` nothing of it
// exists and no namespace has a route off the cluster.
import { runNft } from '../proxy/apply.js';
import { CommandError, interfaceAddresses, ip, listLinks, run } from './ip.js';
import { fabricNetns, NODE_UPLINK, FABRIC_BRIDGE, nodeNetns, validateClusterName } from './names.js';
import { enableForwarding, hostForwarding, setHostForwarding } from './forwarding.js';
import {
  EGRESS_TABLE,
  FABRIC_EGRESS_IF,
  FABRIC_GATEWAY,
  FABRIC_NETWORK,
  HOST_EGRESS_TABLE_RE,
  chooseEgressLink,
  deleteTableScript,
  egressDestinations,
  egressLinkOf,
  fabricEgressScript,
  forwardingAfterRemoval,
  forwardingToRecord,
  hostEgressScript,
  hostEgressTable,
  hostEgressVethAlias,
  hostEgressVethName,
  nodeEgressScript,
  recordedForwarding,
  type EgressLink,
  type EgressPolicy,
} from './egress-rules.js';

/** Runs an nft script in a named namespace as one transaction. */
async function nftIn(netns: string, script: string, what: string): Promise<void> {
  await run('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], what, { input: script });
}

/** `nft <args>` in the host namespace; undefined when nft is not installed (then no table can exist). */
async function hostNft(args: string[], what: string): Promise<string | undefined> {
  try {
    return await run('nft', args, what);
  } catch (e) {
    if (e instanceof CommandError && /ENOENT/.test(e.message) && e.stderr === '') return undefined;
    throw e;
  }
}

/** Names of the egress tables of all skiff clusters in the host namespace. */
async function hostEgressTables(): Promise<string[]> {
  const out = (await hostNft(['list', 'tables', 'ip'], 'listing the nftables tables of the host namespace')) ?? '';
  return out
    .split('\n')
    .map((l) => /^table ip (\S+)$/.exec(l.trim())?.[1])
    .filter((n): n is string => n !== undefined && HOST_EGRESS_TABLE_RE.test(n));
}

async function recordedForwardingOf(table: string): Promise<'0' | '1' | undefined> {
  let out: string | undefined;
  try {
    out = await hostNft(['list', 'table', 'ip', table], `reading table ip ${table} of the host namespace`);
  } catch (e) {
    // Its cluster was deleted since the listing.
    if (e instanceof CommandError && /No such file or directory/.test(e.stderr)) return undefined;
    throw e;
  }
  return out === undefined ? undefined : recordedForwarding(out);
}

/** What to record as ip_forward before skiff (see forwardingToRecord). */
async function forwardingBeforeSkiff(cluster: string): Promise<'0' | '1'> {
  const own = hostEgressTable(cluster);
  const tables = await hostEgressTables();
  const others: ('0' | '1' | undefined)[] = [];
  for (const t of tables) if (t !== own) others.push(await recordedForwardingOf(t));
  return forwardingToRecord(tables.includes(own) ? await recordedForwardingOf(own) : undefined, others, hostForwarding());
}

/** The link the host end already has (a repair), or a fresh /30 clear of every host route. */
async function egressLink(cluster: string, policy: EgressPolicy): Promise<EgressLink> {
  const veth = hostEgressVethName(cluster);
  const existing = (await interfaceAddresses(undefined, veth, `reading the addresses of ${veth}`)).map(egressLinkOf).find((l) => l);
  if (existing) return existing;
  const routes = JSON.parse((await ip(undefined, ['-j', '-4', 'route', 'show', 'table', 'all'], 'listing the routes of the host namespace')) || '[]') as { dst?: string }[];
  const taken = routes.map((r) => r.dst ?? '').filter((d) => d !== '' && d !== 'default');
  if (policy.mode === 'cidrs') taken.push(...policy.cidrs);
  return chooseEgressLink(cluster, taken);
}

/**
 * Creates (or repairs) the cluster's way off the machine. Expects the fabric and the nodes to
 * exist. Order matters for cleanup after a crash: the host table, which records ip_forward, is
 * written before ip_forward is changed.
 */
export async function ensureEgress(cluster: string, nodes: number, policy: EgressPolicy): Promise<void> {
  validateClusterName(cluster);
  if (policy.mode === 'none') return;
  const fabric = fabricNetns(cluster);
  const veth = hostEgressVethName(cluster);
  const link = await egressLink(cluster, policy);
  const destinations = egressDestinations(policy);

  const before = await forwardingBeforeSkiff(cluster);
  await runNft(hostEgressScript(cluster, policy, link, before), `writing table ip ${hostEgressTable(cluster)} of cluster ${cluster} in the host namespace`);
  if (hostForwarding() === '0') setHostForwarding('1', `enabling IPv4 forwarding in the host namespace for the egress of cluster ${cluster}`);

  // The pair is created from the host namespace straight into the fabric, so it is whole or absent.
  const hostLinks = await listLinks(undefined, 'listing links of the host namespace');
  if (!hostLinks.some((l) => l.ifname === veth)) {
    const fabricLinks = await listLinks(fabric, `listing links of ${fabric}`);
    if (fabricLinks.some((l) => l.ifname === FABRIC_EGRESS_IF)) {
      await ip(fabric, ['link', 'delete', FABRIC_EGRESS_IF], `deleting the stale egress link ${FABRIC_EGRESS_IF} in ${fabric}`);
    }
    await ip(undefined, ['link', 'add', veth, 'type', 'veth', 'peer', 'name', FABRIC_EGRESS_IF, 'netns', fabric], `creating the egress link ${veth} <-> ${fabric}/${FABRIC_EGRESS_IF} of cluster ${cluster}`);
  }
  await ip(undefined, ['link', 'set', veth, 'alias', hostEgressVethAlias(cluster), 'up'], `bringing up the egress link ${veth} of cluster ${cluster}`);
  await ip(undefined, ['addr', 'replace', `${link.hostAddress}/${link.prefixLength}`, 'dev', veth], `addressing the egress link ${veth} of cluster ${cluster}`);

  await ip(fabric, ['addr', 'replace', `${link.fabricAddress}/${link.prefixLength}`, 'dev', FABRIC_EGRESS_IF], `addressing ${FABRIC_EGRESS_IF} in ${fabric}`);
  await ip(fabric, ['link', 'set', FABRIC_EGRESS_IF, 'up'], `bringing up ${FABRIC_EGRESS_IF} in ${fabric}`);
  await ip(fabric, ['addr', 'replace', `${FABRIC_GATEWAY}/${FABRIC_NETWORK.split('/')[1]}`, 'dev', FABRIC_BRIDGE], `giving ${FABRIC_BRIDGE} in ${fabric} the gateway address ${FABRIC_GATEWAY}`);
  await enableForwarding(fabric);
  await nftIn(fabric, fabricEgressScript(), `writing table ip ${EGRESS_TABLE} in ${fabric}`);
  for (const dst of destinations) {
    await ip(fabric, ['route', 'replace', dst, 'via', link.hostAddress, 'dev', FABRIC_EGRESS_IF], `routing ${dst} to the host namespace in ${fabric}`);
  }

  for (let i = 0; i < nodes; i++) {
    const node = nodeNetns(cluster, i);
    await nftIn(node, nodeEgressScript(), `writing table ip ${EGRESS_TABLE} in ${node}`);
    for (const dst of destinations) {
      await ip(node, ['route', 'replace', dst, 'via', FABRIC_GATEWAY, 'dev', NODE_UPLINK], `routing ${dst} via the fabric in ${node}`);
    }
  }
}

/**
 * Removes what egress put in the host namespace: the link (normally gone with the fabric), the
 * table, and ip_forward goes back to its value before skiff once no other cluster's egress needs
 * it. Idempotent; forwarding is restored before the table that records it is deleted, so a crash
 * in between loses nothing.
 */
export async function removeHostEgress(cluster: string): Promise<void> {
  validateClusterName(cluster);
  const errors: string[] = [];
  const veth = hostEgressVethName(cluster);
  try {
    const links = await listLinks(undefined, 'listing links of the host namespace');
    if (links.some((l) => l.ifname === veth)) {
      await ip(undefined, ['link', 'delete', veth], `deleting the egress link ${veth} of cluster ${cluster}`);
    }
  } catch (e) {
    // The fabric namespace, being destroyed, may take the link with it meanwhile.
    if (!(e instanceof CommandError && /Cannot find device/.test(e.stderr))) errors.push((e as Error).message);
  }
  try {
    const own = hostEgressTable(cluster);
    const tables = await hostEgressTables();
    if (tables.includes(own)) {
      const restore = forwardingAfterRemoval(await recordedForwardingOf(own), tables.some((t) => t !== own), hostForwarding());
      if (restore) setHostForwarding(restore, `restoring IPv4 forwarding in the host namespace after the egress of cluster ${cluster}`);
      await runNft(deleteTableScript(own), `deleting table ip ${own} of cluster ${cluster} in the host namespace`);
    }
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length) throw new Error(`removing the egress of cluster ${cluster}: ${errors.join('; ')}`);
}
