import type { KObject } from '../../../../src/api/types.js';

/** A fixed "now" so ages are deterministic. */
export const NOW = Date.parse('2024-05-01T12:00:00Z');

/** The RFC 3339 timestamp `ms` milliseconds before NOW (negative: in the future). */
export function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function obj(metadata: KObject['metadata'], rest: Record<string, unknown> = {}): KObject {
  return { metadata, ...rest };
}

/** `n` empty containers, like Go's make([]api.Container, n). */
export function containers(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, () => ({}));
}
