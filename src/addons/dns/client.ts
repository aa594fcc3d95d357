import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';

// Minimal DNS client over UDP and TCP: the forwarder of the cluster DNS server uses it to
// ask the upstream nameserver, and tests use it to ask the cluster DNS server.

export interface NameserverAddress {
  host: string;
  port: number;
}

/** A decoded reply; dns-packet also decodes the rcode and opcode, which its types omit. */
export type DnsReply = DecodedPacket & { rcode: string; opcode: string };

export interface QueryOptions {
  timeoutMs?: number;
}

function describe(packet: Packet, ns: NameserverAddress): string {
  const q = packet.questions?.[0];
  return `${q ? `${q.type} ${q.name}` : 'query'} to ${ns.host}:${ns.port}`;
}

/** One query over UDP; the reply is returned as is, truncated or not. */
export function queryUdp(ns: NameserverAddress, packet: Packet, opts: QueryOptions = {}): Promise<DnsReply> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const id = packet.id ?? Math.floor(Math.random() * 65536);
  const buf = dnsPacket.encode({ ...packet, id });
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(ns.host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error(`DNS ${describe(packet, ns)} over UDP: no reply within ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | undefined, res?: DnsReply) {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(res!);
    }
    sock.on('error', (e) => finish(new Error(`DNS ${describe(packet, ns)} over UDP: ${e.message}`)));
    sock.on('message', (msg) => {
      let res: DnsReply;
      try {
        res = dnsPacket.decode(msg) as DnsReply;
      } catch {
        return; // not a DNS message: keep waiting for the real reply
      }
      if (res.id === id) finish(undefined, res);
    });
    sock.send(buf, ns.port, ns.host);
  });
}

/** One query over TCP (two-byte length prefix, RFC 1035 4.2.2). */
export function queryTcp(ns: NameserverAddress, packet: Packet, opts: QueryOptions = {}): Promise<DnsReply> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const id = packet.id ?? Math.floor(Math.random() * 65536);
  const msg = dnsPacket.encode({ ...packet, id });
  const framed = Buffer.alloc(2 + msg.length);
  framed.writeUInt16BE(msg.length, 0);
  msg.copy(framed, 2);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: ns.host, port: ns.port });
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`DNS ${describe(packet, ns)} over TCP: no reply within ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | undefined, res?: DnsReply) {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res!);
    }
    sock.on('error', (e) => finish(new Error(`DNS ${describe(packet, ns)} over TCP: ${e.message}`)));
    sock.on('end', () => finish(new Error(`DNS ${describe(packet, ns)} over TCP: connection closed before the reply`)));
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) return;
        const body = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        try {
          const res = dnsPacket.decode(body) as DnsReply;
          if (res.id === id) return finish(undefined, res);
        } catch (e) {
          return finish(new Error(`DNS ${describe(packet, ns)} over TCP: undecodable reply: ${(e as Error).message}`));
        }
      }
    });
    sock.write(framed);
  });
}

/** A forwarder to one upstream nameserver: UDP first, TCP again when the reply is truncated. */
export function udpForwarder(ns: NameserverAddress, opts: QueryOptions = {}): (query: Packet) => Promise<Packet> {
  return async (query) => {
    const res = await queryUdp(ns, query, opts);
    if (res.flag_tc) return queryTcp(ns, query, opts);
    return res;
  };
}
