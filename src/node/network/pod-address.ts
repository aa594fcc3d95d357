// Which address a pod gets, known before the CNI plugin runs, so that the sandbox can be handed
// to the containers while the plugin attaches it. The choice is host-local's own (round-robin
// from the last reserved address, skipping the network, gateway and broadcast addresses and
// those allocated); the allocation stays host-local's: the address is asked for with
// CNI_ARGS IP=, and host-local records it in its data dir, or refuses it if it is taken.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIPv4, parseIPv4, parsePrefix } from '../../cluster/ipv4.js';

/** Addresses chosen for ADDs not yet finished, per network data dir: host-local has not recorded them yet. */
const inFlight = new Map<string, Set<string>>();

/** What host-local keeps for the network (`<dataDir>/<network>`): allocated addresses and the last reserved one. */
function allocated(dir: string): { taken: Set<string>; last?: string } {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let last: string | undefined;
  try {
    last = readFileSync(join(dir, 'last_reserved_ip.0'), 'utf8').trim();
  } catch {
    // None reserved yet.
  }
  return { taken: new Set(names.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n))), last };
}

export interface AddressReservation {
  ip: string;
  /** Forgets the in-flight reservation once host-local has recorded (or refused) the address. */
  release(): void;
}

/**
 * Chooses a free address of `subnet` (a.b.c.d/len) for a pod, the one host-local would give next,
 * and holds it for this process until `release`. `dir` is host-local's directory of the network.
 */
export function reservePodAddress(dir: string, subnet: string, gateway: string): AddressReservation {
  const prefix = parsePrefix(subnet);
  if (!prefix) throw new Error(`choosing a pod address: ${subnet} is not an IPv4 CIDR`);
  const first = prefix.base + 1;
  const lastHost = prefix.base + 2 ** (32 - prefix.len) - 2;
  const { taken, last } = allocated(dir);
  const held = inFlight.get(dir) ?? new Set<string>();
  const lastN = last === undefined ? undefined : parseIPv4(last);
  const start = lastN !== undefined && lastN >= first && lastN <= lastHost ? lastN + 1 : first;
  for (let i = 0; i < lastHost - first + 1; i++) {
    const n = first + ((start - first + i) % (lastHost - first + 1));
    const ip = formatIPv4(n);
    if (ip === gateway || taken.has(ip) || held.has(ip)) continue;
    held.add(ip);
    inFlight.set(dir, held);
    return {
      ip,
      release: () => {
        held.delete(ip);
        if (held.size === 0 && inFlight.get(dir) === held) inFlight.delete(dir);
      },
    };
  }
  throw new Error(`no free address left in ${subnet}`);
}
