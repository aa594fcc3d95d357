import type { Logger } from '../../log.js';
// The kubelet's ServiceAccount token cache (pkg/kubelet/token/token_manager.go): projected
// serviceAccountToken volumes ask for a token bound to their pod; the same request is answered
// from the cache until the token is in the last 20% of its life or 24 hours old (plus up to
// 10 s of jitter, so pods started together do not all ask at once), then a new one is fetched.
// A failed refresh keeps the old token while it is still valid.

export interface BoundObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectReference;
}

/** What the TokenRequest API answered, as far as the kubelet needs it. */
export interface TokenRequestResult {
  token: string;
  /** ms since the epoch (status.expirationTimestamp). */
  expiration: number;
  /** spec.expirationSeconds as the server echoed it (defaulted when the request left it out). */
  expirationSeconds: number;
}

export type FetchToken = (namespace: string, serviceAccount: string, spec: TokenRequestSpec) => Promise<TokenRequestResult>;

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_MS = 10_000;

export class TokenManager {
  private readonly cache = new Map<string, TokenRequestResult>();

  constructor(
    private readonly fetch: FetchToken,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    private readonly log: Logger = () => {},
  ) {}

  async serviceAccountToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestResult> {
    this.cleanup();
    const key = JSON.stringify([serviceAccount, namespace, spec.audiences, spec.expirationSeconds ?? null, spec.boundObjectRef ?? null]);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached;
    let fresh: TokenRequestResult;
    try {
      fresh = await this.fetch(namespace, serviceAccount, spec);
    } catch (e) {
      const why = (e as Error).message;
      if (!cached) throw new Error(`failed to fetch token: ${why}`);
      if (this.expired(cached)) throw new Error(`token ${key} expired and refresh failed: ${why}`);
      this.log('error', "couldn't update token", { serviceAccount: `${namespace}/${serviceAccount}`, error: why });
      return cached;
    }
    this.cache.set(key, fresh);
    return fresh;
  }

  /** Forgets the tokens bound to a pod that is gone (DeleteServiceAccountToken). */
  deletePodTokens(podUid: string): void {
    for (const k of this.cache.keys()) if ((JSON.parse(k) as [unknown, unknown, unknown, unknown, { uid?: string } | null])[4]?.uid === podUid) this.cache.delete(k);
  }

  requiresRefresh(t: TokenRequestResult): boolean {
    const now = this.now();
    const iat = t.expiration - t.expirationSeconds * 1000;
    const jitter = Math.floor(this.random() * (MAX_JITTER_MS / 1000)) * 1000;
    if (now > iat + MAX_TTL_MS - jitter) return true;
    return now > t.expiration - t.expirationSeconds * 200 - jitter; // 20% of the TTL, in ms
  }

  private expired(t: TokenRequestResult): boolean {
    return this.now() > t.expiration;
  }

  /** Expired tokens go (upstream sweeps every minute; here each request sweeps). */
  private cleanup(): void {
    for (const [k, v] of this.cache) if (this.expired(v)) this.cache.delete(k);
  }
}
