// One repository of one registry over the OCI distribution protocol (GET /v2/<name>/manifests/
// <ref>, GET /v2/<name>/blobs/<digest>), authenticating as the registry asks: anonymously, with
// a Bearer token from the realm its WWW-Authenticate names (Docker Hub, ghcr.io, quay.io,
// registry.k8s.io), or with Basic credentials. A registry on loopback is spoken to over plain
// HTTP, as containerd and docker allow for localhost; any other over TLS. Requests go through
// HTTPS_PROXY/HTTP_PROXY when set (NO_PROXY honoured).
//
// Without a proxy, the registry's name is resolved before undici is loaded: on a machine without
// DNS for it (no network, the usual case for skiff's built-in images) the pull then fails as it
// would have, in fetch's words, without the ~1 MB of undici a pull process otherwise compiles
// (about 80 ms of CPU, spent while the first pods of a new cluster start).
import { lookup } from 'node:dns/promises';
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher, Response } from 'undici';
import { basicAuth, parseChallenge, type Credentials } from './auth.js';

export class RegistryError extends Error {
  constructor(
    message: string,
    /** The HTTP status the registry answered with; 0 when it could not be reached. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Hosts that get plain HTTP: this machine's loopback. */
export function isLoopbackHost(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/** Docker Hub's API lives on another host than its name. */
function apiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

export interface ClientOptions {
  /** Credentials to try, in order, when the registry asks for them. */
  credentials?: Credentials[];
  /** Longest wait for a connection, for response headers, and between two chunks of a body. */
  timeoutMs?: number;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** What EnvHttpProxyAgent reads; with one set, the proxy resolves the registry's name. */
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];

/** The error text a registry puts in its body (`{"errors":[{"code":…,"message":…}]}`), if any. */
function registryText(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const parts = (doc.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ').toLowerCase());
    if (parts.length) return parts.join('; ');
  } catch {
    // Not the registry's JSON: its raw text says what there is to say.
  }
  return body.trim().slice(0, 200);
}

/**
 * Resolves `host` as undici's connect would, failing as undici's connect fails: with the lookup's
 * error, with a connect timeout when it takes longer than the connect may, or as aborted.
 */
async function resolveWithin(host: string, ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), ms);
        onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export class RepositoryClient {
  private readonly base: string;
  private authorization?: string;
  private readonly host: string;
  private http?: Promise<{ fetch: typeof import('./http.js').fetch; dispatcher: Dispatcher }>;

  constructor(
    domain: string,
    private readonly path: string,
    private readonly o: ClientOptions = {},
  ) {
    this.host = apiHost(domain).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    this.base = `${isLoopbackHost(domain) ? 'http' : 'https'}://${apiHost(domain)}/v2/${path}`;
  }

  /** undici's fetch and the dispatcher, once the registry's name resolved (or a proxy resolves it). */
  private httpStack(): Promise<{ fetch: typeof import('./http.js').fetch; dispatcher: Dispatcher }> {
    this.http ??= (async () => {
      const t = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (!this.o.dispatcher && !PROXY_VARIABLES.some((v) => process.env[v])) await resolveWithin(this.host, t, this.o.signal);
      const undici = await import('./http.js');
      return { fetch: undici.fetch, dispatcher: this.o.dispatcher ?? new undici.EnvHttpProxyAgent({ connectTimeout: t, headersTimeout: t, bodyTimeout: t }) };
    })();
    return this.http;
  }

  manifestURL(reference: string): string {
    return `${this.base}/manifests/${reference}`;
  }

  blobURL(digest: string): string {
    return `${this.base}/blobs/${digest}`;
  }

  /** GET with authentication; resolves to a 2xx response, throws RegistryError otherwise. */
  async get(url: string, accept?: string): Promise<Response> {
    let res = await this.send(url, accept);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      const first = await res.text();
      for (const auth of await this.authorizations(challenge, first)) {
        this.authorization = auth;
        res = await this.send(url, accept);
        if (res.status !== 401) break;
        await res.body?.cancel();
      }
      if (res.status === 401) throw new RegistryError(this.statusText('GET', url, res.status, first), 401);
    }
    if (res.status < 200 || res.status > 299) {
      const text = await res.text().catch(() => '');
      throw new RegistryError(this.statusText('GET', url, res.status, text), res.status);
    }
    return res;
  }

  /** The body of a 2xx answer as a Node stream. */
  static stream(res: Response): Readable {
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  private statusText(method: string, url: string, status: number, body: string): string {
    const phrase = STATUS_CODES[status] ?? '';
    const text = registryText(body);
    return `unexpected status from ${method} request to ${url}: ${status} ${phrase}`.trim() + (text ? `: ${text}` : '');
  }

  private async send(url: string, accept?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept;
    if (this.authorization) headers.authorization = this.authorization;
    try {
      const { fetch, dispatcher } = await this.httpStack();
      return await fetch(url, { headers, dispatcher, signal: this.o.signal, redirect: 'follow' });
    } catch (e) {
      throw new RegistryError(`failed to do request: Get "${url}": ${networkCause(e)}`, 0);
    }
  }

  /** The Authorization headers to try after a 401 with `challenge`, best first. */
  private async authorizations(challenge: string, body: string): Promise<string[]> {
    const c = parseChallenge(challenge);
    const creds = this.o.credentials ?? [];
    if (c?.scheme === 'basic') return creds.map(basicAuth);
    if (c?.scheme !== 'bearer' || !c.params.realm) {
      throw new RegistryError(`failed to authorize: the registry asked for authentication it does not describe (${challenge || 'no WWW-Authenticate'}): ${registryText(body)}`, 401);
    }
    const out: string[] = [];
    const tries: (Credentials | undefined)[] = creds.length ? [...creds] : [undefined];
    for (const cred of tries) out.push(`Bearer ${await this.token(c.params, cred)}`);
    return out;
  }

  private async token(params: Record<string, string>, cred?: Credentials): Promise<string> {
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${this.path}:pull`);
    const headers: Record<string, string> = cred ? { authorization: basicAuth(cred) } : {};
    let res: Response;
    try {
      const { fetch, dispatcher } = await this.httpStack();
      res = await fetch(u, { headers, dispatcher, signal: this.o.signal });
    } catch (e) {
      throw new RegistryError(`failed to fetch ${cred ? 'oauth' : 'anonymous'} token: Get "${u.href}": ${networkCause(e)}`, 0);
    }
    const text = await res.text();
    if (res.status !== 200) {
      throw new RegistryError(`failed to fetch ${cred ? 'oauth' : 'anonymous'} token: unexpected status from GET request to ${u.href}: ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim() + (registryText(text) ? `: ${registryText(text)}` : ''), res.status);
    }
    const doc = JSON.parse(text) as { token?: string; access_token?: string };
    const token = doc.token ?? doc.access_token;
    if (!token) throw new RegistryError(`failed to fetch token from ${u.href}: the answer has no token`, res.status);
    return token;
  }
}

/** What a failed connection says, in Go's net words where there are some. */
export function networkCause(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string; hostname?: string } };
  const cause = err.cause ?? err;
  const code = (cause as { code?: string }).code;
  if (code === 'ENOTFOUND') return `dial tcp: lookup ${(cause as { hostname?: string }).hostname ?? ''}: no such host`;
  if (code === 'ECONNREFUSED') return `dial tcp ${(cause as { address?: string; port?: number }).address ?? ''}:${(cause as { port?: number }).port ?? ''}: connect: connection refused`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'dial tcp: i/o timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'net/http: timeout awaiting response headers';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'read: i/o timeout: the registry stopped sending';
  if (err.name === 'AbortError') return 'context canceled';
  return cause.message;
}

/** Whether a RegistryError means the registry could not be reached at all (as opposed to answering). */
export function unreachable(e: unknown): boolean {
  return e instanceof RegistryError && e.status === 0;
}
