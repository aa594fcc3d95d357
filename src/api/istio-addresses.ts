import { singleIPv4Addresses } from '../cluster/ipv4.js';
import type { KObject } from './types.js';

// Where a ServiceEntry's hosts are reached, as pilot reads it
// (pilot/pkg/networking/serviceentry): the entry's own `spec.addresses`, or, for an entry
// istiod's IP autoallocate controller serves, the address it wrote for each host in
// `status.addresses` (`{value, host}`; an IPv4 one from 240.240.0.0/16 and an IPv6 one from
// 2001:2::/48). istiod's configuration, the ztunnels' DNS table and the nodes' capture read it
// here alike.

/** The label that takes an entry out of auto-allocation (`"false"`, any case). */
export const AUTOALLOCATE_LABEL = 'networking.istio.io/enable-autoallocate-ip';

export interface ServiceEntryAddress {
  value: string;
  host: string;
}

interface EntryLike extends KObject {
  spec?: { hosts?: string[]; addresses?: string[]; resolution?: string };
  status?: { addresses?: ServiceEntryAddress[] };
}

/**
 * shouldV2AutoAllocateIP: not for resolution NONE (the proxy could not honour an address it
 * did not dial), not for an entry with addresses of its own, not when the label opts out.
 */
export function shouldAutoAllocate(entry: KObject): boolean {
  const e = entry as EntryLike;
  if ((e.spec?.resolution ?? 'NONE') === 'NONE') return false;
  if ((e.spec?.addresses ?? []).length > 0) return false;
  return (e.metadata.labels?.[AUTOALLOCATE_LABEL] ?? '').toLowerCase() !== 'false';
}

/** The hosts an entry gets addresses for, once each in order: not wildcards, unless resolved by DYNAMIC_DNS. */
export function allocatableHosts(entry: KObject): string[] {
  const e = entry as EntryLike;
  const keep = (h: string) => !h.startsWith('*') || e.spec?.resolution === 'DYNAMIC_DNS';
  return [...new Set((e.spec?.hosts ?? []).filter(keep))];
}

/** The allocated addresses in an entry's status, whatever the entry says now. */
export function allocatedAddresses(entry: KObject): ServiceEntryAddress[] {
  const list = (entry as EntryLike).status?.addresses;
  return Array.isArray(list) ? list.filter((a) => typeof a?.value === 'string' && typeof a.host === 'string') : [];
}

/**
 * The single IPv4 addresses a host of the entry is reached at: the entry's `spec.addresses`
 * (every host shares them), else what istiod allocated to that host, when the entry is
 * allocated to. `host` is as the entry spells it.
 */
export function hostIPv4Addresses(entry: KObject, host: string): string[] {
  const own = singleIPv4Addresses((entry as EntryLike).spec?.addresses);
  if (own.length > 0 || !shouldAutoAllocate(entry)) return own;
  return singleIPv4Addresses(allocatedAddresses(entry).filter((a) => a.host === host).map((a) => a.value));
}

/** Every single IPv4 address any host of the entry is reached at. */
export function entryIPv4Addresses(entry: KObject): string[] {
  const out = new Set<string>();
  for (const h of (entry as EntryLike).spec?.hosts ?? []) for (const ip of hostIPv4Addresses(entry, h)) out.add(ip);
  return [...out];
}
