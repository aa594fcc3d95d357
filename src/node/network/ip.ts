// Runs iproute2 (and the few other tools the network needs) without a shell, so that a failure
// names the exact command that failed.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs a command; rejects with "<what>: `<cmd args>` failed: <stderr>". */
export function run(cmd: string, args: string[], what: string, o: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: o.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(String(stdout));
      const detail = String(stderr).trim() || String(stdout).trim() || err.message;
      reject(new CommandError(`${what}: \`${[cmd, ...args].join(' ')}\` failed: ${detail}`, String(stderr)));
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** `ip [-n netns] args…` */
export function ip(netns: string | undefined, args: string[], what: string): Promise<string> {
  return run('ip', netns ? ['-n', netns, ...args] : args, what);
}

/**
 * Several `ip` commands in one process (`ip -batch -`), one argv per line: one spawn instead of
 * many on the path of `skiff up`. iproute2 stops at the first failing line and names it.
 */
export function ipBatch(netns: string | undefined, commands: string[][], what: string): Promise<string> {
  const input = commands.map((c) => c.join(' ')).join('\n') + '\n';
  return run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], what, { input });
}

export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  master?: string;
  flags?: string[];
  operstate?: string;
}

/** The links of a namespace (`ip -j link show`). */
export async function listLinks(netns: string | undefined, what: string): Promise<LinkInfo[]> {
  const out = await ip(netns, ['-j', 'link', 'show'], what);
  return out.trim() ? (JSON.parse(out) as LinkInfo[]) : [];
}

/** The IPv4 addresses of one interface, or [] when the interface does not exist. */
export async function interfaceAddresses(netns: string | undefined, ifname: string, what: string): Promise<string[]> {
  let out: string;
  try {
    out = await ip(netns, ['-j', '-4', 'addr', 'show', 'dev', ifname], what);
  } catch (e) {
    if (e instanceof CommandError && /does not exist/.test(e.stderr)) return [];
    throw e;
  }
  const parsed = (out.trim() ? JSON.parse(out) : []) as { addr_info?: { local?: string }[] }[];
  return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => !!a));
}
