import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClientOptions } from './client.js';

// client-go's rest.InClusterConfig: a program in a pod reaches the API through the `kubernetes`
// Service named by the kubelet's KUBERNETES_SERVICE_HOST/PORT variables, over HTTPS trusted by
// the mounted cluster CA, with the pod's mounted ServiceAccount token. The kubelet rotates that
// token, so it is read again from the file (as client-go's cached file token source does, at
// most once a minute), never kept from the start.

/** Where the ServiceAccount admission plugin mounts the token, the CA and the namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long a token read from the file is used before the file is read again (client-go: one minute). */
export const TOKEN_REREAD_MS = 60_000;

export class NotInClusterError extends Error {
  constructor() {
    super('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
}

/**
 * The current token of a token file: read again once `periodMs` has passed since the last read;
 * a failed read keeps the last token (the kubelet swaps the file atomically, so a read only fails
 * when something else is wrong, and the old token may still be good).
 */
export function fileTokenSource(path: string, periodMs = TOKEN_REREAD_MS, now: () => number = Date.now): () => string {
  let token = readFileSync(path, 'utf8').trim();
  let readAt = now();
  return () => {
    if (now() - readAt < periodMs) return token;
    readAt = now();
    try {
      token = readFileSync(path, 'utf8').trim();
    } catch {
      // Keep the last token; the next period tries again.
    }
    return token;
  };
}

export interface InClusterConfig extends ApiClientOptions {
  baseUrl: string;
  /** The pod's namespace, from the mounted `namespace` file. */
  namespace: string;
}

/** The API client options for a program in a pod; NotInClusterError outside one. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, dir: string = SERVICE_ACCOUNT_DIR): InClusterConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new NotInClusterError();
  const token = fileTokenSource(join(dir, 'token'));
  let ca: string | undefined;
  try {
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch {
    // client-go logs this and trusts the system roots instead; so does Node without `ca`.
  }
  let namespace = 'default';
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || namespace;
  } catch {
    // Not mounted (a hand-made volume): the default namespace, as client-go's loader assumes.
  }
  return { baseUrl: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca, token, namespace };
}
