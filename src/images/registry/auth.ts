// Registry authentication: the challenge a registry sends (`WWW-Authenticate: Bearer realm=…`
// or `Basic realm=…`), and the credentials a pod's imagePullSecrets hold for a registry.

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme: m[1].toLowerCase(), params };
}

export interface Credentials {
  username: string;
  password: string;
}

/** The registry host a docker config key names (`https://index.docker.io/v1/` → docker.io). */
function keyHost(key: string): { host: string; path: string } {
  const rest = key.replace(/^[a-z]+:\/\//i, '');
  const slash = rest.indexOf('/');
  let host = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  // Docker Hub's legacy key carries the API version, not a repository.
  return { host, path: host === 'docker.io' && /^v[12]$/.test(path) ? '' : path };
}

/**
 * The credentials of a `.dockerconfigjson` for an image in `domain`/`path`, most specific key
 * first, as the kubelet's keyring matches them (a key may name a repository prefix).
 */
export function credentialsFor(dockerConfigJson: string, domain: string, path: string): Credentials[] {
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(dockerConfigJson) as typeof doc;
  } catch {
    return [];
  }
  const found: { len: number; cred: Credentials }[] = [];
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    const k = keyHost(key);
    if (k.host !== domain.toLowerCase()) continue;
    if (k.path && path !== k.path && !path.startsWith(`${k.path}/`)) continue;
    let username = entry.username ?? '';
    let password = entry.password ?? '';
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
    if (username || password) found.push({ len: k.path.length, cred: { username, password } });
  }
  return found.sort((a, b) => b.len - a.len).map((f) => f.cred);
}

export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
