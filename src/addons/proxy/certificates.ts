// The certificates an HTTPS listener presents: one per TLS host from its kubernetes.io/tls
// Secret, chosen by SNI, and a default for every other name (and for hosts whose Secret is
// missing or unusable): ingress-nginx's generated "fake" certificate.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import tls from 'node:tls';
import type { KObject } from '../../api/types.js';
import type { Logger } from '../../log.js';

export const FAKE_CERTIFICATE_CN = 'Kubernetes Ingress Controller Fake Certificate';

export interface KeyPair {
  cert: string;
  key: string;
}

/**
 * ingress-nginx's default certificate: self-signed, O=Acme Co, SAN ingress.local, a year, RSA
 * 2048 as upstream's. The key type matters beyond fidelity: Node switches to the SNI context's
 * certificate only when its key type suits what OpenSSL chose from the default context, and
 * with an RSA default both RSA Secrets (TLS 1.2 and 1.3) and ECDSA ones (TLS 1.3) are served.
 */
export async function generateFakeCertificate(now: Date = new Date()): Promise<KeyPair> {
  // Loaded here, not with the program: the X.509 schema library and the RSA key cost about a
  // quarter of a second of CPU, which a controller starting beside the rest of a new cluster
  // should not spend first.
  const { KEY_USAGE, issueCertificate, privateKeyPem } = await import('../../cluster/x509.js');
  // Off the event loop: the key is made on libuv's pool.
  const keys = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const cert = issueCertificate(
    {
      subject: [
        ['O', 'Acme Co'],
        ['CN', FAKE_CERTIFICATE_CN],
      ],
      publicKey: keys.publicKey,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
      ca: false,
      keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment,
      extendedKeyUsage: ['serverAuth'],
      dnsNames: ['ingress.local'],
    },
    keys.privateKey,
  );
  return { cert, key: privateKeyPem(keys.privateKey) };
}

interface SecretLike extends KObject {
  type?: string;
  data?: Record<string, string>;
}

/** The key pair of a TLS Secret, or why it cannot serve. */
export function keyPairOf(secret: KObject): KeyPair | string {
  const s = secret as SecretLike;
  const crt = s.data?.['tls.crt'];
  const key = s.data?.['tls.key'];
  if (!crt || !key) return 'the Secret has no tls.crt and tls.key';
  return { cert: Buffer.from(crt, 'base64').toString('utf8'), key: Buffer.from(key, 'base64').toString('utf8') };
}

interface CachedContext {
  resourceVersion: string;
  context?: tls.SecureContext;
}

/**
 * SNI → SecureContext. `update` is called with every route table; contexts are made again only
 * for Secrets whose resourceVersion changed, so a renewed certificate is served from the next
 * handshake on while established connections keep theirs.
 */
export class CertificateStore {
  private byHost = new Map<string, tls.SecureContext>();
  private readonly cache = new Map<string, CachedContext>();
  private defaultPairMade?: Promise<KeyPair>;
  private fallback?: tls.SecureContext;

  /** `makeDefaultPair` runs once, when the default certificate is first needed or `prepareDefault` is called. */
  constructor(
    private readonly makeDefaultPair: () => Promise<KeyPair>,
    private readonly log: Logger = () => {},
  ) {}

  /** The default certificate's key pair, made on first use. */
  defaultPair(): Promise<KeyPair> {
    if (!this.defaultPairMade) {
      this.defaultPairMade = this.makeDefaultPair().then((pair) => {
        this.fallback = tls.createSecureContext(pair);
        return pair;
      });
      // A failure is reported to whoever awaits it, and the next handshake tries again.
      this.defaultPairMade.catch(() => (this.defaultPairMade = undefined));
    }
    return this.defaultPairMade;
  }

  /** Starts making the default certificate now, so the first handshake does not wait for it. */
  prepareDefault(): void {
    this.defaultPair().catch((e: Error) => this.log('error', `generating the default certificate: ${e.message}`));
  }

  /** tlsHosts: host (or `*.domain`) → `namespace/secret`. */
  update(tlsHosts: Map<string, string>, getSecret: (namespace: string, name: string) => KObject | undefined): void {
    const byHost = new Map<string, tls.SecureContext>();
    const used = new Set<string>();
    for (const [host, secretKey] of tlsHosts) {
      const ctx = this.contextFor(secretKey, getSecret);
      used.add(secretKey);
      if (ctx) byHost.set(host, ctx);
    }
    for (const key of this.cache.keys()) if (!used.has(key)) this.cache.delete(key);
    for (const [host, ctx] of byHost) if (this.byHost.get(host) !== ctx) this.log('info', `serving the certificate of Secret "${tlsHosts.get(host)}" for ${host}`);
    this.byHost = byHost;
  }

  private contextFor(secretKey: string, getSecret: (namespace: string, name: string) => KObject | undefined): tls.SecureContext | undefined {
    const slash = secretKey.indexOf('/');
    const secret = getSecret(secretKey.slice(0, slash), secretKey.slice(slash + 1));
    if (!secret) {
      if (!this.cache.has(secretKey)) this.log('warning', `Error getting SSL certificate "${secretKey}": local SSL certificate ${secretKey} was not found. Using default certificate`);
      this.cache.set(secretKey, { resourceVersion: '' });
      return undefined;
    }
    const rv = secret.metadata.resourceVersion ?? '';
    const cached = this.cache.get(secretKey);
    if (cached && cached.resourceVersion === rv && rv !== '') return cached.context;
    const pair = keyPairOf(secret);
    let context: tls.SecureContext | undefined;
    if (typeof pair === 'string') {
      this.log('warning', `Error obtaining X.509 certificate from Secret "${secretKey}": ${pair}. Using default certificate`);
    } else {
      try {
        context = tls.createSecureContext(pair);
      } catch (e) {
        this.log('warning', `Error obtaining X.509 certificate from Secret "${secretKey}": ${(e as Error).message}. Using default certificate`);
      }
    }
    this.cache.set(secretKey, { resourceVersion: rv, context });
    return context;
  }

  /**
   * The context for an SNI name: exact host, then `*.` of its parent, then a `*` host (an Istio
   * Gateway server's), then the default; undefined while the default is still being made.
   */
  contextForName(servername: string | undefined): tls.SecureContext | undefined {
    if (!servername) return this.fallback;
    const name = servername.toLowerCase();
    const exact = this.byHost.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.byHost.get(`*${name.slice(dot)}`);
      if (wild) return wild;
    }
    return this.byHost.get('*') ?? this.fallback;
  }

  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    const ctx = this.contextForName(servername);
    if (ctx) return cb(null, ctx);
    this.defaultPair().then(
      () => cb(null, this.contextForName(servername)),
      (e: Error) => cb(e),
    );
  };
}
