import { readFileSync } from 'node:fs';
import { ApiClient } from '../../client/client.js';
import { inClusterConfig } from '../../client/in-cluster.js';
import type { NameserverAddress } from './client.js';
import { dnsConfigOf, parseCorefile, type DnsConfig } from './corefile.js';
import { startHealthEndpoints } from './health.js';
import { DnsMetrics, startMetricsEndpoint } from './metrics.js';
import { startDnsServer } from './server.js';
import { parseGoFlags } from '../flags.js';
import { coreDNSLogger } from '../log.js';
import { notifyReady } from '../ready.js';
import { parseNameserver, reachableNameservers, resolvConfNameservers, forwarderTo } from './upstream.js';
import { startClusterView } from './view.js';

// The program of the built-in registry.k8s.io/coredns/coredns image: `coredns -conf <Corefile>`
// in the DNS pod's network namespace. It reaches the API as CoreDNS's kubernetes plugin does in a
// pod: in-cluster config, its ServiceAccount's mounted token, the `kubernetes` Service. What skiff
// adds comes from the add-on's manifest: -skiff-hosts names the host's hosts file (a hostPath
// volume) and -skiff-egress the cluster's egress setting (which upstream resolvers pods reach).

/** The CoreDNS release this program stands in for (the add-on's image tag). */
const COREDNS_VERSION = '1.11.3';

export interface CoreDNSArgs {
  conf: string;
  /** A hosts file whose names are answered after the cluster's (the host's, mounted by the manifest). */
  hostsFile?: string;
  /** all, none or CIDRs: which `forward` targets a pod can reach. Without it, none. */
  egress: string;
}

const CORE_DNS_FLAGS = new Set(['conf', 'skiff-hosts', 'skiff-egress']);

/** Go flag syntax as coredns takes it: `-conf x`, `-conf=x`, `--conf x`. */
export function parseCoreDNSArgs(argv: string[]): CoreDNSArgs {
  let conf = 'Corefile';
  let hostsFile: string | undefined;
  let egress = 'none';
  for (const a of parseGoFlags(argv, CORE_DNS_FLAGS)) {
    if (a.kind === 'positional') throw new Error(`coredns: unexpected argument ${JSON.stringify(a.value)}`);
    if (!CORE_DNS_FLAGS.has(a.name)) throw new Error(`flag provided but not defined: -${a.name}`);
    if (a.value === undefined) throw new Error(`flag needs an argument: -${a.name}`);
    if (a.name === 'conf') conf = a.value;
    else if (a.name === 'skiff-hosts') hostsFile = a.value;
    else egress = a.value;
  }
  return { conf, egress, ...(hostsFile !== undefined ? { hostsFile } : {}) };
}

/** The nameservers of the `forward .` targets: addresses as given, resolv.conf files read. */
function forwardTargets(targets: string[]): NameserverAddress[] {
  const out: NameserverAddress[] = [];
  for (const t of targets) {
    const addr = parseNameserver(t);
    if (addr) out.push(addr);
    else {
      let text = '';
      try {
        text = readFileSync(t, 'utf8');
      } catch (e) {
        throw new Error(`plugin/forward: reading ${t}: ${(e as Error).message}`);
      }
      for (const ns of resolvConfNameservers(text)) out.push({ host: ns, port: 53 });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseCoreDNSArgs(process.argv.slice(2));
  let cfg: DnsConfig;
  try {
    cfg = dnsConfigOf(parseCorefile(readFileSync(args.conf, 'utf8')));
  } catch (e) {
    throw new Error(`reading the Corefile ${args.conf}: ${(e as Error).message}`);
  }
  const egress = args.egress;
  const client = new ApiClient({ ...inClusterConfig(), userAgent: `coredns/v${COREDNS_VERSION} (linux/amd64) kubernetes/skiff` });

  const view = startClusterView(client, coreDNSLogger('plugin/kubernetes: '));
  let synced = false;
  void view.waitForSync().then(() => {
    synced = true;
  });
  const upstreams = reachableNameservers(forwardTargets(cfg.forward), egress);
  if (cfg.forward.length > 0 && upstreams.length === 0) {
    coreDNSLogger()('info', `plugin/forward: no upstream a pod can reach (egress ${egress}); names outside the cluster come from the host's hosts file only`);
  }
  const metrics = cfg.prometheus ? new DnsMetrics(`dns://:${cfg.port}`, COREDNS_VERSION) : undefined;
  const server = await startDnsServer({
    host: '0.0.0.0',
    port: cfg.port,
    zone: cfg.zone,
    ttl: cfg.ttl,
    podMode: cfg.podMode,
    view: () => view.current(),
    upstream: forwarderTo(upstreams),
    hostsFile: args.hostsFile,
    onAnswer: metrics?.count,
  });
  // The handlers are in place before /ready can answer and the banner says the server is up, so
  // that a stop right after either is a clean one; what is not started yet then, exit ends.
  let health: Awaited<ReturnType<typeof startHealthEndpoints>> | undefined;
  let metricsServer: Awaited<ReturnType<typeof startMetricsEndpoint>> | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const closeMetrics = new Promise<void>((r) => (metricsServer ? metricsServer.close(() => r()) : r()));
    void Promise.allSettled([server.close(), health?.close(), closeMetrics, view.stop()])
      .then(() => client.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  health = await startHealthEndpoints({ health: cfg.health, ready: cfg.ready, notReady: () => (synced ? [] : ['kubernetes']) });
  metricsServer = cfg.prometheus && metrics ? await startMetricsEndpoint(cfg.prometheus, metrics) : undefined;
  process.stdout.write(`.:${server.port}\nCoreDNS-${COREDNS_VERSION}\nlinux/amd64, node${process.versions.node}, skiff\n`);
  // Started, for the runtime, once /ready would answer 200: every server listens and the
  // kubernetes plugin has its first view of the cluster.
  await view.waitForSync();
  if (!stopping) notifyReady();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    coreDNSLogger()('error', e.message);
    process.exit(1);
  });
}
