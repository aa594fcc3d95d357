// IPv4 forwarding (net.ipv4.ip_forward), which is per network namespace: on in every node and in
// the fabric, and on in the host namespace only while a cluster with egress needs it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from './ip.js';

const PROC_IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Turns forwarding on in a named namespace; `ip netns exec` is the way iproute2 offers to reach its sysctls. */
export async function enableForwarding(netns: string): Promise<void> {
  const sysctl = ['/usr/sbin/sysctl', '/sbin/sysctl'].find((p) => existsSync(p));
  const cmd = sysctl ? [sysctl] : ['busybox', 'sysctl'];
  await run('ip', ['netns', 'exec', netns, ...cmd, '-qw', 'net.ipv4.ip_forward=1'], `enabling IPv4 forwarding in ${netns}`);
}

/** net.ipv4.ip_forward of this process's namespace (the host's, for the CLI). */
export function hostForwarding(): '0' | '1' {
  try {
    return readFileSync(PROC_IP_FORWARD, 'utf8').trim() === '0' ? '0' : '1';
  } catch (e) {
    throw new Error(`reading ${PROC_IP_FORWARD}: ${(e as Error).message}`);
  }
}

export function setHostForwarding(value: '0' | '1', why: string): void {
  try {
    writeFileSync(PROC_IP_FORWARD, value);
  } catch (e) {
    throw new Error(`${why}: writing ${value} to ${PROC_IP_FORWARD}: ${(e as Error).message}`);
  }
}
