import { allocatableHosts, allocatedAddresses, shouldAutoAllocate, type ServiceEntryAddress } from '../../../api/istio-addresses.js';
import type { KObject } from '../../../api/types.js';
import type { ApiClient } from '../../../client/client.js';
import { keyOfObject, splitKey, type Informer } from '../../../client/informer.js';
import { runController, type RunningController } from '../../../client/loop.js';
import { SERVICEENTRIES } from '../../../client/resources.js';
import { formatIPv4, parseIPv4 } from '../../../cluster/ipv4.js';
import type { Logger } from '../../../log.js';

// istiod's IP autoallocate controller (pilot/pkg/controllers/ipallocate, on by default since
// Istio 1.25 as PILOT_ENABLE_IP_AUTOALLOCATE): each host of a ServiceEntry with no addresses
// of its own and a resolution other than NONE gets an IPv4 address from 240.240.0.0/16 and an
// IPv6 one from 2001:2::/48, written to the entry's status.addresses as `{value, host}`. The
// ztunnels answer DNS queries for the host with it (gateway/dns-proxy.ts) and the nodes
// capture connections to it (src/node/mesh), so a host with no stable address of its own is
// routed like a Service. Addresses are handed out in order and never taken back, as upstream
// does; at start every address the entries already hold is marked used, the oldest entry
// keeping one two entries claim, and an entry's own spec.addresses in the ranges are avoided.

/** Addresses in one range, each used by one entry (`namespace/name`), handed out from the start on. */
export class AddressPool {
  private readonly used = new Map<string, string>();
  private next = 1;

  constructor(
    /** The nth address of the range (n ≥ 1), or undefined past its end. */
    private readonly nth: (n: number) => string | undefined,
    /** The canonical text of an address in the range, or undefined when it is not in it. */
    private readonly canonical: (address: string) => string | undefined,
  ) {}

  /** Records the address as the owner's; false when another owner has it already. */
  claim(address: string, owner: string): boolean {
    const a = this.canonical(address);
    if (a === undefined) return true;
    const holder = this.used.get(a);
    if (holder !== undefined) return holder === owner;
    this.used.set(a, owner);
    return true;
  }

  /** The next free address for the owner, going round once from where the last one was taken; undefined when the range is full. */
  allocate(owner: string): string | undefined {
    for (let tries = 0, n = this.next; ; n++) {
      let a = this.nth(n);
      if (a === undefined) {
        if (++tries > 1) return undefined;
        n = 1;
        a = this.nth(n);
        if (a === undefined) return undefined;
      }
      if (!this.used.has(a)) {
        this.used.set(a, owner);
        this.next = n + 1;
        return a;
      }
    }
  }
}

const V4_BASE = parseIPv4('240.240.0.0')!;
const V4_SIZE = 1 << 16;

/** 240.240.0.0/16: .0.1 first, as netip's prefix.Addr().Next(). */
export function ipv4Pool(): AddressPool {
  return new AddressPool(
    (n) => (n < V4_SIZE ? formatIPv4(V4_BASE + n) : undefined),
    (a) => {
      const n = parseIPv4(a);
      return n !== undefined && n - V4_BASE >= 0 && n - V4_BASE < V4_SIZE ? formatIPv4(n) : undefined;
    },
  );
}

/** The low 32 bits of 2001:2::/48 (as far as this pool goes), in RFC 5952 text: 2001:2::1, …, 2001:2::1:0. */
function v6Text(n: number): string {
  const hi = Math.floor(n / 0x10000);
  const lo = n % 0x10000;
  return hi ? `2001:2::${hi.toString(16)}:${lo.toString(16)}` : `2001:2::${lo.toString(16)}`;
}

export function ipv6Pool(): AddressPool {
  return new AddressPool(
    (n) => (n < 2 ** 32 ? v6Text(n) : undefined),
    (a) => {
      const m = /^2001:2::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/i.exec(a);
      return m ? v6Text(parseInt(m[1] ?? '0', 16) * 0x10000 + parseInt(m[2]!, 16)) : undefined;
    },
  );
}

export interface Pools {
  v4: AddressPool;
  v6: AddressPool;
}

function claim(pools: Pools, address: string, owner: string): boolean {
  return address.includes(':') ? pools.v6.claim(address, owner) : pools.v4.claim(address, owner);
}

/**
 * Marks what the entries hold as used, their own addresses first and then the allocated ones
 * oldest entry first; returns the entries whose allocated addresses another entry holds.
 */
export function warmPools(pools: Pools, entries: KObject[]): Set<string> {
  const conflicted = new Set<string>();
  for (const e of entries) for (const a of (e.spec as { addresses?: string[] } | undefined)?.addresses ?? []) claim(pools, a, keyOfObject(e));
  const oldestFirst = [...entries].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  for (const e of oldestFirst) {
    for (const a of allocatedAddresses(e)) if (!claim(pools, a.value, keyOfObject(e))) conflicted.add(keyOfObject(e));
  }
  return conflicted;
}

/**
 * The status.addresses an entry needs (statusPatchForAddresses), or undefined when it has
 * them: each allocatable host keeps what it holds unless another entry holds it too, and a
 * host without addresses gets the pools' next ones. Marks what it keeps and takes as used.
 */
export function addressesFor(entry: KObject, pools: Pools, conflicted: boolean): ServiceEntryAddress[] | undefined {
  const owner = keyOfObject(entry);
  const held = new Map<string, ServiceEntryAddress[]>();
  for (const a of allocatedAddresses(entry)) held.set(a.host, [...(held.get(a.host) ?? []), a]);
  let clash = conflicted;
  for (const list of held.values()) for (const a of list) if (!claim(pools, a.value, owner)) clash = true;
  const hosts = allocatableHosts(entry);
  const same = hosts.length === held.size && hosts.every((h) => held.has(h));
  if (same && !clash) return undefined;
  const out: ServiceEntryAddress[] = [];
  for (const host of hosts) {
    const kept = held.get(host);
    if (kept && !clash) {
      out.push(...kept);
      continue;
    }
    for (const value of [pools.v4.allocate(owner), pools.v6.allocate(owner)]) if (value) out.push({ value, host });
  }
  return out;
}

/** Runs the controller over the ServiceEntry informer, writing status.addresses through the status subresource. */
export function runIPAutoallocate(client: ApiClient, entries: Informer<KObject>, log: Logger): RunningController {
  const pools: Pools = { v4: ipv4Pool(), v6: ipv6Pool() };
  let conflicted: Set<string> | undefined;
  return runController({
    name: 'IP Autoallocator',
    informers: [entries],
    keyOf: (o) => keyOfObject(o),
    log,
    async reconcile(key) {
      conflicted ??= warmPools(pools, entries.list());
      const { namespace, name } = splitKey(key);
      const entry = entries.get(namespace, name);
      if (!entry) return;
      if (!shouldAutoAllocate(entry)) {
        for (const a of (entry.spec as { addresses?: string[] } | undefined)?.addresses ?? []) claim(pools, a, key);
        return;
      }
      const addresses = addressesFor(entry, pools, conflicted.delete(key));
      if (!addresses) return;
      // The resourceVersion makes the write conditional, as upstream's JSON patch tests the old list:
      // an entry changed meanwhile is reconciled again from its new copy.
      await client.patch(SERVICEENTRIES, namespace, name, 'merge', { metadata: { resourceVersion: entry.metadata.resourceVersion }, status: { addresses } }, 'status');
    },
  });
}
