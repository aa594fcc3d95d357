// Host names as Istio compares them: short names resolve in the namespace of the object that
// wrote them, a name with a dot is taken as fully qualified, and a `*.` prefix matches any
// name ending in the rest (never the bare suffix itself; `*` alone matches everything).

export const CLUSTER_DOMAIN = 'cluster.local';

export function resolveShortName(host: string, namespace: string): string {
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** Whether `name` (itself possibly a wildcard) falls within `pattern`. */
export function hostCovers(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    if (name.startsWith('*.')) return name.slice(1).endsWith(suffix);
    return name.length > suffix.length && name.endsWith(suffix);
  }
  return pattern === name;
}

/**
 * The names two hosts have in common, as pilot intersects a VirtualService host with a Gateway
 * server host: the narrower one of the pair, or none.
 */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostCovers(a, b)) return b;
  if (hostCovers(b, a)) return a;
  return undefined;
}

/** A Gateway server host `ns/dnsName` split; no namespace part means any (`*`). */
export function splitServerHost(host: string, gatewayNamespace: string): { namespace: string; dnsName: string } {
  const slash = host.indexOf('/');
  if (slash < 0) return { namespace: '*', dnsName: host };
  const ns = host.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNamespace : ns, dnsName: host.slice(slash + 1) };
}
