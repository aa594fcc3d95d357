// resourceVersion and resourceVersionMatch on reads, as the storage layer interprets them
// (APIObjectVersioner.ParseResourceVersion, the watch cache's waitUntilFreshAndBlock, etcd3's
// exact reads, ValidateListOptions).
import type { Store } from '../storage/store.js';
import { errors, apiError } from '../api/errors.js';

/** How long a read from a future resourceVersion waits for it (the watch cache's blockTimeout). */
export const BLOCK_TIMEOUT_MS = 3000;
/** resourceVersionTooHighRetrySeconds. */
const TOO_LARGE_RETRY_SECONDS = 1;

/** 0 for "" and "0" (any version), the number otherwise; 400 when it is not one. */
export function parseResourceVersion(rv: string | null): number {
  if (rv === null || rv === '' || rv === '0') return 0;
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv))) {
    const why = /^\d+$/.test(rv) ? `strconv.ParseUint: parsing "${rv}": value out of range` : `strconv.ParseUint: parsing "${rv}": invalid syntax`;
    throw errors.badRequest(`invalid resource version: resourceVersion: Invalid value: "${rv}": ${why}`);
  }
  return Number(rv);
}

/**
 * Waits (up to BLOCK_TIMEOUT_MS) until the store has reached `rv`; then, upstream answers
 * 504 with the ResourceVersionTooLarge cause, which clients take as "relist".
 */
export async function waitUntilFresh(store: Pick<Store, 'revision'>, rv: number, blockMs = BLOCK_TIMEOUT_MS): Promise<void> {
  const start = Date.now();
  while (store.revision() < rv) {
    if (Date.now() - start >= blockMs) {
      throw errors.timeout(`Too large resource version: ${rv}, current: ${store.revision()}`, TOO_LARGE_RETRY_SECONDS, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A list's resourceVersion/resourceVersionMatch: refused as upstream's ValidateListOptions
 * does; a future version waits or fails as above; an exact version other than the current one
 * is one the store no longer holds (410, as etcd answers for a compacted revision).
 */
export async function checkListResourceVersion(store: Pick<Store, 'revision'>, query: URLSearchParams, blockMs = BLOCK_TIMEOUT_MS): Promise<void> {
  const raw = query.get('resourceVersion');
  const match = query.get('resourceVersionMatch') ?? '';
  if (match !== '') {
    const invalid = (detail: string, field = 'resourceVersionMatch') =>
      apiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, {
        group: 'meta.k8s.io',
        kind: 'ListOptions',
        causes: [{ reason: detail.startsWith('Forbidden') ? 'FieldValueForbidden' : 'FieldValueNotSupported', message: detail, field }],
      });
    if (match !== 'Exact' && match !== 'NotOlderThan') throw invalid(`Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`);
    if (!raw) throw invalid('Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (query.get('continue')) throw invalid('Forbidden: resourceVersionMatch is forbidden when continue is provided');
    if (match === 'Exact' && raw === '0') throw invalid('Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  const rv = parseResourceVersion(raw);
  if (rv === 0) return;
  if (rv > store.revision()) await waitUntilFresh(store, rv, blockMs);
  if (match === 'Exact' && rv !== store.revision()) {
    throw errors.expired('The resourceVersion for the provided list is too old.');
  }
}
