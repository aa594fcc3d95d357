// A tiny `dig` for the e2e tests, run inside a node's network namespace (nsenter): one query
// to a nameserver over UDP or TCP, the reply printed as JSON.
//   node dig.js <server> <name> <type> [udp|tcp]
import type { RecordType } from 'dns-packet';
import { queryTcp, queryUdp } from '../../../src/addons/dns/client.js';

export interface DigReply {
  rcode: string;
  aa: boolean;
  tc: boolean;
  answers: { name: string; type: string; ttl?: number; data: unknown }[];
  authorities: { name: string; type: string; ttl?: number; data: unknown }[];
}

async function main(): Promise<void> {
  const [server, name, type, proto = 'udp'] = process.argv.slice(2);
  const ask = proto === 'tcp' ? queryTcp : queryUdp;
  const r = await ask({ host: server, port: 53 }, { type: 'query', flags: 1 << 8, questions: [{ name, type: type as RecordType }] }, { timeoutMs: 3000 });
  const strip = (records: unknown[] | undefined) =>
    (records ?? []).map((a) => {
      const { name, type, ttl, data } = a as { name: string; type: string; ttl?: number; data: unknown };
      return { name, type, ttl, data: Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? data.map(String) : data };
    });
  const out: DigReply = { rcode: r.rcode, aa: !!r.flag_aa, tc: !!r.flag_tc, answers: strip(r.answers), authorities: strip(r.authorities) };
  process.stdout.write(JSON.stringify(out));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  });
}
