import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { readFileSync } from 'node:fs';
import { CLUSTER_DNS_IP } from '../../cluster/constants.js';

// The pod's /etc/hosts and /etc/resolv.conf, rendered as upstream kubelet writes them
// (pkg/kubelet/kubelet_pods.go managedHostsFileContent, pkg/kubelet/network/dns).

export const CLUSTER_DOMAIN = 'cluster.local';

export interface HostAlias {
  ip?: string;
  hostnames?: string[];
}

export function hostsFile(o: { podIPs: string[]; hostname: string; domain?: string; hostAliases?: HostAlias[] }): string {
  let s = '# Kubernetes-managed hosts file.\n';
  s += '127.0.0.1\tlocalhost\n';
  s += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  s += 'fe00::0\tip6-localnet\n';
  s += 'fe00::0\tip6-mcastprefix\n';
  s += 'fe00::1\tip6-allnodes\n';
  s += 'fe00::2\tip6-allrouters\n';
  for (const ip of o.podIPs) {
    s += o.domain ? `${ip}\t${o.hostname}.${o.domain}\t${o.hostname}\n` : `${ip}\t${o.hostname}\n`;
  }
  if (o.hostAliases?.length) {
    s += '\n# Entries added by HostAliases.\n';
    for (const a of o.hostAliases) s += `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return s;
}

/**
 * The hosts file of a hostNetwork pod: the node's own, with the pod's host aliases (kubelet
 * nodeHostsFileContent).
 */
export function nodeHostsFile(hostAliases?: HostAlias[], nodeHosts = '/etc/hosts'): string {
  let s = '# Kubernetes-managed hosts file (host network).\n';
  try {
    s += readFileSync(nodeHosts, 'utf8');
  } catch {
    // A node without a hosts file: the aliases alone.
  }
  if (hostAliases?.length) {
    s += '\n# Entries added by HostAliases.\n';
    for (const a of hostAliases) s += `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return s;
}

/** Pod hostname and the domain of its hosts entry: subdomain.<ns>.svc.<cluster domain>. */
export function podHostname(pod: { metadata: { name?: string; namespace?: string }; spec?: unknown }): { hostname: string; domain?: string } {
  const spec = (pod.spec ?? {}) as Partial<IPodSpec>;
  // Upstream truncates to 63 characters and trims trailing '-' and '.'.
  let hostname = (spec.hostname || pod.metadata.name || '').slice(0, 63).replace(/[-.]+$/, '');
  const domain = spec.subdomain ? `${spec.subdomain}.${pod.metadata.namespace}.svc.${CLUSTER_DOMAIN}` : undefined;
  if (!hostname) hostname = 'localhost';
  return { hostname, domain };
}

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name?: string; value?: string }[];
}

export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) r.nameservers.push(fields[0]);
    else if (key === 'search' || key === 'domain') r.searches = fields;
    else if (key === 'options') r.options.push(...fields);
  }
  return r;
}

export function hostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

/** Options merge as upstream mergeDNSOptions: later (pod) values override by name. */
function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const order: string[] = [];
  const vals = new Map<string, string | undefined>();
  const put = (name: string, value: string | undefined) => {
    if (!vals.has(name)) order.push(name);
    vals.set(name, value);
  };
  for (const o of base) {
    const i = o.indexOf(':');
    put(i < 0 ? o : o.slice(0, i), i < 0 ? undefined : o.slice(i + 1));
  }
  for (const o of extra) if (o.name) put(o.name, o.value);
  return order.map((n) => (vals.get(n) === undefined || vals.get(n) === '' ? n : `${n}:${vals.get(n)}`));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The resolver configuration of a pod by dnsPolicy, merged with spec.dnsConfig. */
export function podResolvConf(o: {
  namespace: string;
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: PodDNSConfig;
  host: ResolvConf;
}): ResolvConf {
  let policy = o.dnsPolicy || 'ClusterFirst';
  // ClusterFirst on the host network falls back to Default, as upstream.
  if (policy === 'ClusterFirst' && o.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let base: ResolvConf;
  if (policy === 'None') base = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') base = { nameservers: [...o.host.nameservers], searches: [...o.host.searches], options: [...o.host.options] };
  else {
    base = {
      nameservers: [CLUSTER_DNS_IP],
      searches: [`${o.namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN, ...o.host.searches],
      options: ['ndots:5'],
    };
  }
  const c = o.dnsConfig;
  if (c) {
    base.nameservers = unique([...base.nameservers, ...(c.nameservers ?? [])]);
    base.searches = unique([...base.searches, ...(c.searches ?? [])]);
    base.options = mergeOptions(base.options, c.options ?? []);
  }
  // Upstream limits: 3 nameservers, 32 search domains.
  base.nameservers = base.nameservers.slice(0, 3);
  base.searches = base.searches.slice(0, 32);
  return base;
}

export function renderResolvConf(r: ResolvConf): string {
  let s = '';
  if (r.searches.length) s += `search ${r.searches.join(' ')}\n`;
  for (const n of r.nameservers) s += `nameserver ${n}\n`;
  if (r.options.length) s += `options ${r.options.join(' ')}\n`;
  return s;
}
