// Pods of one node talk across the bridge cni0, and bridged frames meet the ip/inet forward hook
// only when the bridge hands them to netfilter (br_netfilter). The switch is per network
// namespace, so the agent turns it on in its own node namespace and nowhere else.
import { readFileSync, writeFileSync } from 'node:fs';

export const BRIDGE_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/**
 * Makes bridged IPv4 traffic pass the forward hook in the current network namespace. Returns a
 * message saying what is wrong when that cannot be done, or undefined when it is on.
 */
export function ensureBridgeNetfilter(path = BRIDGE_NF_CALL_IPTABLES): string | undefined {
  let cur: string;
  try {
    cur = readFileSync(path, 'utf8').trim();
  } catch (e) {
    return `reading ${path}: ${(e as Error).message} (br_netfilter is not loaded): NetworkPolicy cannot filter traffic between pods of the same node`;
  }
  if (cur === '1') return undefined;
  try {
    writeFileSync(path, '1\n');
  } catch (e) {
    return `enabling ${path}: ${(e as Error).message}: NetworkPolicy cannot filter traffic between pods of the same node`;
  }
  return undefined;
}
