import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { answer, type AnswerOptions, type ClusterView, type DnsResult } from './records.js';
import { HostsFile, lookupHosts } from './hosts.js';
import type { Logger } from '../../log.js';
import { coreDNSLogger } from '../log.js';
import { framed, readTcpMessages } from './tcp.js';

// The cluster DNS server: the cluster zone from the view, then the host's hosts file, then
// the upstream forwarder (CoreDNS: kubernetes → hosts → forward). UDP and TCP on one port.

export interface DnsServerOptions extends AnswerOptions {
  host: string;
  /** 0 picks a free port, the same for UDP and TCP. */
  port: number;
  view: () => ClusterView;
  /** Forwarder for names outside the cluster zone; without it nothing leaves the machine. */
  upstream?: (query: Packet) => Promise<Packet>;
  /** The host's hosts file, e.g. /etc/hosts. */
  hostsFile?: string;
  log?: Logger;
  /** Told of every answered query, e.g. for metrics; must be cheap (it runs on the hot path). */
  onAnswer?: (a: AnsweredQuery) => void;
}

export interface AnsweredQuery {
  proto: 'udp' | 'tcp';
  /** The client's address family: 1 for IPv4, 2 for IPv6 (CoreDNS's `family` label). */
  family: 1 | 2;
  type: string;
  rcode: string;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
/** RFC 1035 UDP limit for a client that sent no EDNS OPT record. */
const PLAIN_UDP_SIZE = 512;
/** Largest EDNS UDP payload the server offers (the 2020 DNS flag day value). */
const MAX_UDP_SIZE = 1232;

interface Reply {
  rcode: string;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

function reply(rcode: string, authoritative = false): Reply {
  return { rcode, authoritative, answers: [], authorities: [], additionals: [] };
}

function fromResult(r: DnsResult): Reply {
  return { rcode: r.rcode, authoritative: r.authoritative, answers: [...r.answers], authorities: r.authority, additionals: r.additionals };
}

function ednsOf(query: Packet): { size: number } | undefined {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return opt ? { size: Math.max(PLAIN_UDP_SIZE, Math.min(opt.udpPayloadSize ?? PLAIN_UDP_SIZE, MAX_UDP_SIZE)) } : undefined;
}

/** Encodes the response; over UDP drops records until it fits and sets TC, as miekg/dns Truncate. */
function encodeReply(query: DecodedPacket, r: Reply, limit: number | undefined): Buffer {
  const edns = ednsOf(query);
  const opt: Answer[] = edns ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
  const flags = (f: number) =>
    ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
    dnsPacket.RECURSION_AVAILABLE |
    (r.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    f |
    (RCODES[r.rcode] ?? RCODES.SERVFAIL);
  const packet: Packet = {
    type: 'response',
    id: query.id,
    flags: flags(0),
    questions: query.questions,
    answers: r.answers,
    authorities: r.authorities,
    additionals: [...r.additionals, ...opt],
  };
  if (limit === undefined || dnsPacket.encodingLength(packet) <= limit) return dnsPacket.encode(packet);
  // Too large for the datagram: keep what fits of the answer and tell the client to ask over TCP.
  const answers = [...r.answers];
  const cut: Packet = { ...packet, flags: flags(dnsPacket.TRUNCATED_RESPONSE), answers, authorities: [], additionals: opt };
  while (answers.length > 0 && dnsPacket.encodingLength(cut) > limit) answers.pop();
  return dnsPacket.encode(cut);
}

/**
 * An authoritative NOERROR answer to `query` with `answers`, encoded as the server encodes its
 * own: an EDNS OPT record when the query had one, and over UDP (`udp`) cut to the size the
 * client can take, with TC set.
 */
export function encodeAnswer(query: DecodedPacket, answers: Answer[], udp: boolean): Buffer {
  return encodeReply(query, { ...reply('NOERROR', true), answers }, udp ? (ednsOf(query)?.size ?? PLAIN_UDP_SIZE) : undefined);
}

function errorReply(buf: Buffer, rcode: string): Buffer | undefined {
  if (buf.length < 12) return undefined;
  // The header is enough to say FORMERR to the right query id.
  const out = Buffer.alloc(12);
  out.writeUInt16BE(buf.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (buf.readUInt16BE(2) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode], 2);
  return out;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const log = opts.log ?? coreDNSLogger();
  const hosts = opts.hostsFile ? new HostsFile(opts.hostsFile) : undefined;

  /** What the hosts file and then the upstream say about a name outside the cluster's view. */
  async function beyondCluster(query: DecodedPacket, q: Question): Promise<Reply | undefined> {
    if (hosts && (q.type === 'A' || q.type === 'AAAA' || q.type === 'PTR')) {
      const found = lookupHosts(await hosts.current(), q);
      if (found) return { ...reply('NOERROR', true), answers: found };
    }
    if (!opts.upstream) return undefined;
    const res = await opts.upstream({ type: 'query', id: query.id, flags: query.flags, questions: [q], additionals: query.additionals });
    // The rcode travels in the low four bits of the flags, as dns-packet decodes them.
    const code = (res.flags ?? 0) & 0xf;
    return {
      rcode: Object.keys(RCODES).find((k) => RCODES[k] === code) ?? 'SERVFAIL',
      authoritative: false,
      answers: res.answers ?? [],
      authorities: res.authorities ?? [],
      additionals: (res.additionals ?? []).filter((a) => a.type !== 'OPT'),
    };
  }

  async function resolve(query: DecodedPacket): Promise<Reply> {
    const opcode = (query as { opcode?: string }).opcode;
    if (opcode !== undefined && opcode !== 'QUERY') return reply('NOTIMP');
    if (query.questions?.length !== 1) return reply('FORMERR');
    const q = query.questions[0];
    const result = answer(q, opts.view(), opts);
    if (!result.fallthrough) {
      const r = fromResult(result);
      if (result.chase) {
        // An ExternalName points out of the zone: add the target's records (CoreDNS upstream lookup).
        const chased = await beyondCluster(query, { name: result.chase.name, type: result.chase.type }).catch((e: Error) => {
          log('error', `dns: resolving ExternalName target ${result.chase!.name}: ${e.message}`);
          return undefined;
        });
        if (chased) r.answers.push(...chased.answers);
      }
      return r;
    }
    const beyond = await beyondCluster(query, q);
    if (beyond) return beyond;
    // An unknown reverse name of the cluster's ranges keeps its NXDOMAIN; any other name has
    // no source left, which CoreDNS answers SERVFAIL ("no next plugin found").
    return result.authoritative ? fromResult(result) : reply('SERVFAIL');
  }

  async function handle(buf: Buffer, from: Omit<AnsweredQuery, 'type' | 'rcode'>, limit: (q: DecodedPacket) => number | undefined): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(buf);
    } catch {
      return errorReply(buf, 'FORMERR');
    }
    if (query.type === 'response') return undefined;
    let r: Reply;
    try {
      r = await resolve(query);
    } catch (e) {
      const q = query.questions?.[0];
      log('error', `dns: answering ${q ? `${q.type} ${q.name}` : 'query'}: ${(e as Error).message}`);
      r = reply('SERVFAIL');
    }
    opts.onAnswer?.({ ...from, type: query.questions?.[0]?.type ?? '', rcode: r.rcode });
    return encodeReply(query, r, limit(query));
  }

  function makeUdp(): dgram.Socket {
    const udp = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      const from = { proto: 'udp', family: rinfo.family === 'IPv6' ? 2 : 1 } as const;
      void handle(msg, from, (q) => ednsOf(q)?.size ?? PLAIN_UDP_SIZE).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    return udp;
  }

  const conns = new Set<net.Socket>();
  function makeTcp(): net.Server {
    return net.createServer((sock) => {
      conns.add(sock);
      sock.on('close', () => conns.delete(sock));
      sock.on('error', () => sock.destroy());
      const from = { proto: 'tcp', family: sock.remoteFamily === 'IPv6' ? 2 : 1 } as const;
      readTcpMessages(sock, (msg) =>
        void handle(msg, from, () => undefined).then((out) => {
          if (out && !sock.destroyed) sock.write(framed(out));
        }),
      );
    });
  }

  const { udp, tcp, port } = await bindBoth(makeUdp, makeTcp, opts.host, opts.port);
  udp.on('error', (e) => log('error', `dns: UDP socket ${opts.host}:${port}: ${e.message}`));
  return {
    host: opts.host,
    port,
    async close() {
      for (const s of conns) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

function listenUdp(udp: dgram.Socket, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve(udp.address().port);
    });
  });
}

function listenTcp(tcp: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
}

/** UDP and TCP on one port; with port 0, a new UDP port while TCP finds its twin taken. */
export async function bindBoth(
  makeUdp: () => dgram.Socket,
  makeTcp: () => net.Server,
  host: string,
  port: number,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = makeUdp();
    let bound: number;
    try {
      bound = await listenUdp(udp, host, port);
    } catch (e) {
      udp.close();
      throw new Error(`binding DNS server to UDP ${host}:${port}: ${(e as Error).message}`);
    }
    const tcp = makeTcp();
    try {
      await listenTcp(tcp, host, bound);
      return { udp, tcp, port: bound };
    } catch (e) {
      udp.close();
      if (port !== 0 || attempt >= 10) throw new Error(`binding DNS server to TCP ${host}:${bound}: ${(e as Error).message}`);
    }
  }
}
