// OCI content digests (`sha256:<hex>`): parsing, and checking that content matches its digest.
import { createHash, type Hash } from 'node:crypto';

const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export class DigestError extends Error {}

export function parseDigest(digest: string): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const m = DIGEST.exec(digest);
  if (!m || m[2].length !== HEX_LENGTH[m[1]]) throw new DigestError(`invalid digest ${JSON.stringify(digest)}`);
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2] };
}

export function digestHash(digest: string): Hash {
  return createHash(parseDigest(digest).algorithm);
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Throws unless `actual` (the hash of what arrived) is `expected`, in containerd's words. */
export function verifyDigest(expected: string, hash: Hash): void {
  const { algorithm } = parseDigest(expected);
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== expected) throw new DigestError(`unexpected commit digest ${actual}, expected ${expected}: failed precondition`);
}
