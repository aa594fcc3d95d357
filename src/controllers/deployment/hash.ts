import { isDeepStrictEqual } from 'node:util';

// The pod-template-hash (controller.ComputeHash): fnv32a over the template, then the
// collision count's four little-endian bytes, printed in decimal and mapped through
// rand.SafeEncodeString. Upstream feeds the Go struct dump to the hash; we feed canonical
// JSON of the template with empty values dropped, so the hash is stable under the same
// equivalences upstream's semantic comparison allows (nil vs empty, creationTimestamp null).

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each byte picks from an alphabet without vowels or look-alikes. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** Drops what Go's omitempty and semantic equality do not distinguish from absence. */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const arr = v.map(normalize).filter((x) => x !== undefined);
    return arr.length ? arr : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === null || v === '') return undefined;
  return v;
}

function templateWithoutHash(t: unknown): unknown {
  // normalize builds a new tree, so only the two levels changed here are copied first: the
  // Deployment controller compares every ReplicaSet's template on each of its syncs.
  const template = (t ?? {}) as { metadata?: { labels?: Record<string, string>; creationTimestamp?: unknown } };
  if (!template.metadata) return normalize(template);
  const { creationTimestamp: _, ...metadata } = template.metadata;
  if (metadata.labels) {
    const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...labels } = metadata.labels;
    metadata.labels = labels;
  }
  return normalize({ ...template, metadata });
}

export function computeHash(template: unknown, collisionCount?: number): string {
  const json = JSON.stringify(templateWithoutHash(template) ?? {});
  let h = fnv32a(new TextEncoder().encode(json));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** Templates equal once the pod-template-hash label is ignored (EqualIgnoreHash). */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(templateWithoutHash(a), templateWithoutHash(b));
}
