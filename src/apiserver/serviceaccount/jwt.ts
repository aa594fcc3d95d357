import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

// ServiceAccount tokens as kube-apiserver issues and checks them (pkg/serviceaccount/jwt.go and
// claims.go): compact JWS with the signing key's `kid`, public claims (iss, sub, aud, exp, iat,
// nbf, jti) and the private `kubernetes.io` claim that binds the token to its ServiceAccount and,
// when asked, to a pod and its node. The key is ECDSA P-256, so tokens are ES256 (upstream picks
// the algorithm from the key; kubeadm's sa.key is RSA, RS256). Node's crypto is enough for
// one algorithm: no JOSE library.

/** kubeadm's --service-account-issuer; also the default and only API audience (--api-audiences). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** What the ServiceAccount admission plugin asks for: tokens of this lifetime are extended (token.WarnOnlyBoundTokenExpirationSeconds). */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** How long such a token really lives: one year (token.ExpirationExtensionSeconds, --service-account-extend-token-expiration). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

/** go-jose's DefaultLeeway: clocks may disagree this much on exp, nbf and iat. */
const LEEWAY_SECONDS = 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private claim (claims.go `kubernetes`). */
export interface KubernetesClaim {
  namespace: string;
  node?: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  serviceaccount: ObjectRef;
  /** NumericDate after which a still-valid extended token is reported as stale. */
  warnafter?: number;
}

export interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

/** `system:serviceaccount:<ns>:<name>` (apiserver/pkg/authentication/serviceaccount MakeUsername). */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** A new signing key in PKCS#8 PEM, to be kept where only the control plane reads it. */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Upstream's keyIDFromPublicKey: base64url of the SHA-256 of the public key's PKIX DER. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface ClaimsInput {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  node?: ObjectRef;
  secret?: ObjectRef;
  audiences: string[];
  /** Seconds from now until exp. */
  expirationSeconds: number;
  /** Seconds from now until warnafter; 0 for none. */
  warnAfterSeconds?: number;
  now?: Date;
}

/** token.Claims: the claims of a new token. Keys are in Go's map order, as upstream's JSON has them. */
export function tokenClaims(c: ClaimsInput): TokenClaims {
  const now = Math.floor((c.now ?? new Date()).getTime() / 1000);
  // Filled in key order (Go marshals the claim's fields sorted), so the JSON reads as upstream's.
  const k8s = { namespace: c.namespace } as KubernetesClaim;
  if (c.node) k8s.node = c.node;
  if (c.pod) k8s.pod = c.pod;
  if (c.secret) k8s.secret = c.secret;
  k8s.serviceaccount = c.serviceAccount;
  if (c.warnAfterSeconds) k8s.warnafter = now + c.warnAfterSeconds;
  return {
    aud: c.audiences,
    exp: now + c.expirationSeconds,
    iat: now,
    iss: SERVICE_ACCOUNT_ISSUER,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: now,
    sub: serviceAccountUsername(c.namespace, c.serviceAccount.name),
  };
}

/** Why a bearer token was refused: logged, never shown to the client (which sees 401 only). */
export class TokenError extends Error {}

/** Signs and checks the cluster's ServiceAccount tokens with one key. */
export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid: string;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    if (this.privateKey.asymmetricKeyType !== 'ec' || this.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('the service account signing key must be an ECDSA P-256 key');
    }
    this.publicKey = createPublicKey(this.privateKey);
    this.kid = keyId(this.publicKey);
  }

  sign(claims: TokenClaims): string {
    const input = `${b64({ alg: 'ES256', kid: this.kid })}.${b64(claims)}`;
    // JWS carries the raw r||s pair (RFC 7518 3.4), not DER.
    const sig = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  /** Whether the token looks like one of ours (three parts, our issuer): other bearer tokens are not JWTs. */
  static isJWT(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  /**
   * The claims of a token this signer issued, once the signature, issuer, times and audience
   * hold (jwt.go's authenticator and the legacy validator's public-claim checks). The objects the
   * token is bound to are checked by the caller against the store.
   */
  verify(token: string, audiences: string[], now: Date = new Date()): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenError('not a compact JWS');
    let header: { alg?: unknown; kid?: unknown };
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw new TokenError('malformed token');
    }
    if (header.alg !== 'ES256') throw new TokenError(`unsupported signing algorithm ${String(header.alg)}`);
    if (header.kid !== undefined && header.kid !== this.kid) throw new TokenError('token signed by an unknown key');
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw new TokenError('invalid signature');
    if (claims === null || typeof claims !== 'object') throw new TokenError('malformed claims');
    if (claims.iss !== SERVICE_ACCOUNT_ISSUER) throw new TokenError(`unknown issuer ${JSON.stringify(claims.iss)}`);
    const t = Math.floor(now.getTime() / 1000);
    if (typeof claims.exp !== 'number' || t > claims.exp + LEEWAY_SECONDS) throw new TokenError('service account token has expired');
    if (typeof claims.nbf === 'number' && t < claims.nbf - LEEWAY_SECONDS) throw new TokenError('service account token is not valid yet');
    if (typeof claims.iat === 'number' && t < claims.iat - LEEWAY_SECONDS) throw new TokenError('service account token issued in the future');
    const tokenAuds = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!tokenAuds.some((a) => audiences.includes(a))) {
      throw new TokenError(`token audiences ${JSON.stringify(tokenAuds)} is invalid for the target audiences ${JSON.stringify(audiences)}`);
    }
    const k8s = claims['kubernetes.io'];
    if (!k8s || typeof k8s !== 'object' || typeof k8s.namespace !== 'string' || typeof k8s.serviceaccount?.name !== 'string' || typeof k8s.serviceaccount?.uid !== 'string') {
      throw new TokenError('service account token claims could not be validated due to unexpected private claim');
    }
    if (claims.sub !== serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name)) throw new TokenError('sub does not match the serviceaccount claim');
    return claims;
  }
}
