// Run by `skiff up` inside node 1's network namespace: asks the cluster DNS Service for a name
// until the answer holds the expected address, printing `waiting <reason>` when the reason
// changes and `ok <address>` at the end. `up` kills it at its deadline.
//   node dns-probe.js <dns ip> <name> <expected ip>
import { queryUdp } from '../addons/dns/client.js';

const RETRY_MS = 20;
const QUERY_TIMEOUT_MS = 100;

async function main(): Promise<void> {
  const [server, name, expected] = process.argv.slice(2);
  if (!server || !name || !expected) {
    process.stderr.write('usage: dns-probe <dns ip> <name> <expected ip>\n');
    process.exit(2);
  }
  let said = '';
  const say = (reason: string) => {
    if (reason === said) return;
    said = reason;
    process.stdout.write(`waiting ${reason}\n`);
  };
  for (;;) {
    try {
      const reply = await queryUdp(
        { host: server, port: 53 },
        { type: 'query', flags: 1 << 8, questions: [{ type: 'A', name }] },
        { timeoutMs: QUERY_TIMEOUT_MS },
      );
      const addresses = (reply.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data));
      if (addresses.includes(expected)) {
        process.stdout.write(`ok ${expected}\n`);
        return;
      }
      say(`${name} answered ${reply.rcode}${addresses.length ? ` ${addresses.join(',')}` : ''}`);
    } catch (e) {
      say((e as Error).message);
    }
    await new Promise((res) => setTimeout(res, RETRY_MS));
  }
}

await main();
