import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { CLUSTER_DNS_IP } from '../../../cluster/constants.js';
import { bindBoth, encodeAnswer } from '../../dns/server.js';
import { framed, readTcpMessages } from '../../dns/tcp.js';
import { connectionAllowed, type PolicyTable } from '../../../api/networkpolicy/verdict.js';
import type { DnsEndpoint, DnsTable, ProxyConfig } from '../config/types.js';

// ztunnel's DNS proxy (Istio's DNS capture, on by default in ambient mode): the node sends it
// its meshed pods' queries to the cluster DNS (src/node/mesh/rules.ts). A query for a
// ServiceEntry host the asking pod's namespace sees is answered from istiod's table: its
// addresses, the ones the entry names or the ones istiod allocated, so that connections to
// the name are captured by address like a Service's. Everything else goes to the cluster DNS
// and its answer back as it came, over the transport the query used.
//
// The node leaves these queries' NetworkPolicy to this proxy (src/node/mesh/rules.ts). As in
// Istio ambient, whose proxy answers in the pod's own network namespace, a table answer never
// leaves the proxy and no policy sees it; a query forwarded to the cluster DNS is held to the
// asking pod's egress policies and the DNS pods' ingress policies, and one they refuse is
// dropped, as the node drops the packet: the client's resolver times out.

/** Istio's DNS proxy answers its own records with this TTL (pkg/dns/server defaultTTLInSeconds). */
export const TABLE_TTL = 30;
const UPSTREAM_TIMEOUT_MS = 5000;

/** The answer records for a query the table holds; undefined when the upstream is to answer it. */
export function tableAnswer(query: DecodedPacket, table: DnsTable | undefined, namespace: string | undefined): Answer[] | undefined {
  if (!table || query.type !== 'query' || query.questions?.length !== 1) return undefined;
  const q = query.questions[0]!;
  if (q.class !== undefined && q.class !== 'IN') return undefined;
  if (q.type !== 'A' && q.type !== 'AAAA') return undefined;
  const entry = table[q.name.toLowerCase().replace(/\.$/, '')];
  if (!entry || (entry.exportTo && (namespace === undefined || !entry.exportTo.includes(namespace)))) return undefined;
  // The table's addresses are IPv4: an AAAA query gets the name with no records of its type.
  if (q.type === 'AAAA') return [];
  return entry.addresses.map((data) => ({ type: 'A', name: q.name, ttl: TABLE_TTL, data }));
}

/** The table's answer as a DNS message (cut to what a UDP client takes, with TC), or undefined to forward the query as it is. */
function local(msg: Buffer, table: DnsTable | undefined, namespace: string | undefined, udp: boolean): Buffer | undefined {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return undefined; // the upstream says what it makes of a message this proxy cannot read
  }
  const answers = tableAnswer(query, table, namespace);
  return answers ? encodeAnswer(query, answers, udp) : undefined;
}

export class DnsProxy {
  private table: DnsTable | undefined;
  private workloads: ProxyConfig['workloads'];
  private policies: PolicyTable | undefined;
  private dnsEndpoints: DnsEndpoint[] | undefined;
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();

  constructor(
    private readonly upstream = { host: CLUSTER_DNS_IP, port: 53 },
    private readonly warn: (m: string) => void = () => {},
  ) {}

  update(config: ProxyConfig): void {
    this.table = config.dns;
    this.workloads = config.workloads;
    this.policies = config.policies;
    this.dnsEndpoints = config.dnsEndpoints;
  }

  /**
   * Whether NetworkPolicy lets the pod at `client` ask the cluster DNS over `protocol`: through
   * one of its endpoints at least, as the node's Service rules may pick any of them.
   */
  private mayForward(client: string, protocol: DnsEndpoint['protocol']): boolean {
    const table = this.policies;
    if (!table) return true;
    const src = client.replace(/^::ffff:/, '');
    const endpoints = (this.dnsEndpoints ?? []).filter((e) => e.protocol === protocol);
    // None ready: the query fails upstream as it would without the mesh.
    return endpoints.length === 0 || endpoints.some((e) => connectionAllowed(table, src, e.address, protocol, e.port));
  }

  get serving(): boolean {
    return this.udp !== undefined;
  }

  private namespaceOf(address: string): string | undefined {
    return this.workloads?.[address.replace(/^::ffff:/, '')]?.namespace;
  }

  /** Serves UDP and TCP on the port, on every address; resolves to the port (0 picks a free one for both). */
  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    const makeUdp = () => {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (msg, from) => {
        if (msg.length < 12) return; // shorter than a DNS header: nothing to answer or forward
        const mine = local(msg, this.table, this.namespaceOf(from.address), true);
        if (mine) udp.send(mine, from.port, from.address);
        else if (this.mayForward(from.address, 'udp')) this.forwardUdp(msg, (answer) => udp.send(answer, from.port, from.address));
      });
      return udp;
    };
    const bound = await bindBoth(makeUdp, () => net.createServer((sock) => this.serveTcp(sock)), host, port);
    bound.udp.on('error', (e) => this.warn(`dns proxy: UDP socket: ${e.message}`));
    this.udp = bound.udp;
    this.tcp = bound.tcp;
    return bound.port;
  }

  private forwardUdp(msg: Buffer, reply: (answer: Buffer) => void): void {
    const sock = dgram.createSocket('udp4');
    const done = () => {
      clearTimeout(timer);
      sock.close();
    };
    // No answer in time: the client's resolver asks again, as it would of a lost datagram.
    const timer = setTimeout(done, UPSTREAM_TIMEOUT_MS);
    sock.on('error', (e) => {
      this.warn(`dns proxy: forwarding to ${this.upstream.host}:${this.upstream.port} over UDP: ${e.message}`);
      done();
    });
    sock.on('message', (answer) => {
      // Only the answer to this query's id: a stray datagram does not end the wait.
      if (answer.length < 2 || answer.readUInt16BE(0) !== msg.readUInt16BE(0)) return;
      done();
      reply(answer);
    });
    sock.send(msg, this.upstream.port, this.upstream.host);
  }

  private serveTcp(sock: net.Socket): void {
    this.conns.add(sock);
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    const namespace = this.namespaceOf(sock.remoteAddress ?? '');
    readTcpMessages(sock, (msg) => {
      const mine = local(msg, this.table, namespace, false);
      if (mine) sock.write(framed(mine));
      else if (this.mayForward(sock.remoteAddress ?? '', 'tcp')) this.forwardTcp(msg, sock);
    });
  }

  /** One upstream connection per forwarded query, its framed answer written back as it came. */
  private forwardTcp(msg: Buffer, client: net.Socket): void {
    const up = net.connect(this.upstream.port, this.upstream.host);
    up.setTimeout(UPSTREAM_TIMEOUT_MS, () => up.destroy());
    up.on('error', (e) => this.warn(`dns proxy: forwarding to ${this.upstream.host}:${this.upstream.port} over TCP: ${e.message}`));
    let got = Buffer.alloc(0);
    up.on('data', (chunk) => {
      got = got.length ? Buffer.concat([got, chunk]) : chunk;
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        if (!client.destroyed) client.write(got.subarray(0, 2 + got.readUInt16BE(0)));
        up.end();
      }
    });
    up.write(framed(msg));
  }

  async close(): Promise<void> {
    for (const s of this.conns) s.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = this.tcp = undefined;
    await Promise.all([udp && new Promise<void>((r) => udp.close(() => r())), tcp && new Promise<void>((r) => tcp.close(() => r()))]);
  }
}
