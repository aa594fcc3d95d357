import http from 'node:http';
import type { ListenAddress } from './corefile.js';
import type { AnsweredQuery } from './server.js';

// CoreDNS's `prometheus` plugin, as far as the request and response counters go: the
// Prometheus text format on /metrics (port 9153, the kube-dns Service's `metrics` port).

/** Query types CoreDNS counts by name; every other type is counted as "other". */
const MONITORED_TYPES = new Set(['A', 'AAAA', 'MX', 'SOA', 'CNAME', 'PTR', 'TXT', 'NS', 'SRV', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'IXFR', 'AXFR', 'ANY']);

export class DnsMetrics {
  private requests = new Map<string, number>();
  private responses = new Map<string, number>();

  constructor(
    private readonly server: string,
    private readonly version: string,
  ) {}

  /** Cheap enough for every query: two map updates keyed by small label strings. */
  readonly count = (a: AnsweredQuery): void => {
    const type = MONITORED_TYPES.has(a.type) ? a.type : 'other';
    const req = `proto="${a.proto}",family="${a.family}",type="${type}"`;
    this.requests.set(req, (this.requests.get(req) ?? 0) + 1);
    const res = `rcode="${a.rcode}",plugin=""`;
    this.responses.set(res, (this.responses.get(res) ?? 0) + 1);
  };

  render(): string {
    const common = `server="${this.server}",view="",zone="."`;
    const lines = [
      '# HELP coredns_build_info A metric with a constant \'1\' value labeled by version, revision, and goversion from which CoreDNS was built.',
      '# TYPE coredns_build_info gauge',
      `coredns_build_info{goversion="node${process.versions.node}",revision="skiff",version="${this.version}"} 1`,
      '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
      '# TYPE coredns_dns_requests_total counter',
      ...[...this.requests].sort().map(([k, v]) => `coredns_dns_requests_total{${k},${common}} ${v}`),
      '# HELP coredns_dns_responses_total Counter of response status codes.',
      '# TYPE coredns_dns_responses_total counter',
      ...[...this.responses].sort().map(([k, v]) => `coredns_dns_responses_total{${k},${common}} ${v}`),
    ];
    return `${lines.join('\n')}\n`;
  }
}

export function startMetricsEndpoint(addr: ListenAddress, metrics: DnsMetrics): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(metrics.render());
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening for /metrics on ${addr.host}:${addr.port}: ${e.message}`)));
    server.listen(addr.port, addr.host, () => resolve(server));
  });
}
