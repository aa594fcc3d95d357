// Image references as the kubelet and containerd read them (distribution/reference's
// ParseNormalizedNamed): `[domain/]path[:tag][@digest]`, docker.io implied, `library/` for
// single-component Docker Hub names, `latest` when neither tag nor digest is given.

export interface ImageReference {
  /** Registry host as written or implied, normalized: `docker.io`, `registry.k8s.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/nginx`, `e2e-test-images/agnhost`. */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

/** Parses like ParseNormalizedNamed; throws ReferenceError with distribution's wording. */
export function parseReference(image: string): ImageReference {
  if (image === '' || image !== image.trim() || /\s/.test(image)) throw new ReferenceError('invalid reference format');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError('invalid reference format');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new ReferenceError('invalid reference format');
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  // The first component is a registry host only if it looks like one (docker's splitDockerDomain).
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw new ReferenceError('invalid reference format');
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (path.toLowerCase() !== path && path.split('/').every((c) => PATH_COMPONENT.test(c.toLowerCase()))) {
    throw new ReferenceError(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (path === '' || !path.split('/').every((c) => PATH_COMPONENT.test(c))) throw new ReferenceError('invalid reference format');
  if (`${domain}/${path}`.length > NAME_TOTAL_LENGTH_MAX) throw new ReferenceError('repository name must not be more than 255 characters');
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `docker.io/library/nginx:latest`: the fully qualified form containerd pulls and reports. */
export function fullReference(ref: ImageReference): string {
  const name = `${ref.domain}/${ref.path}`;
  if (ref.digest) return ref.tag ? `${name}:${ref.tag}@${ref.digest}` : `${name}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}

/**
 * The keys an image is looked up by, most specific first: with and without registry host,
 * with and without tag, and without Docker Hub's `library/` (so `nginx`, `docker.io/nginx`,
 * `docker.io/library/nginx:1.27` and `mirror.example/library/nginx` all find `nginx`).
 */
export function lookupKeys(ref: ImageReference): string[] {
  const paths = [`${ref.domain}/${ref.path}`, ref.path];
  if (ref.path.startsWith('library/')) paths.push(ref.path.slice('library/'.length));
  const keys: string[] = [];
  if (ref.tag) for (const p of paths) keys.push(`${p}:${ref.tag}`);
  keys.push(...paths);
  return [...new Set(keys)];
}

/**
 * Normalizes a catalog or user-file key to one of lookupKeys' forms: a key written with a
 * registry host matches only that registry; a key without one matches any registry.
 */
export function normalizeKey(key: string): string {
  const ref = parseReference(key);
  const explicitHost = ref.domain !== DEFAULT_DOMAIN || /^(?:index\.)?docker\.io\//.test(key);
  const path = !explicitHost && ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  const name = explicitHost ? `${ref.domain}/${path}` : path;
  return ref.tag ? `${name}:${ref.tag}` : name;
}
