import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { parse } from 'yaml';

export interface Access {
  server: string;
  ca: string;
  token: string;
}

/** Reads the current context's server, CA and token from a kubeconfig file. */
export function accessFrom(kubeconfigPath: string): Access {
  const kc = parse(readFileSync(kubeconfigPath, 'utf8'));
  const ctx = kc.contexts.find((x: { name: string }) => x.name === kc['current-context']).context;
  const cluster = kc.clusters.find((x: { name: string }) => x.name === ctx.cluster).cluster;
  const user = kc.users.find((x: { name: string }) => x.name === ctx.user).user;
  return { server: cluster.server, ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'), token: user.token };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request with the cluster's CA and token; `token: null` sends none. */
export function raw(a: Access, method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, a.server);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? a.token : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = httpsRequest({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, ca: a.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
