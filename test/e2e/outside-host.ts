import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitFor } from './harness.js';

// A host "outside" the cluster for tests of egress: a network namespace the test creates,
// linked to the host namespace by a veth, holding TEST-NET addresses of its own and running a
// small HTTP server. Nothing leaves the machine; `remove()` takes the namespace (and the host
// end of the veth with it) and the server away.

export interface OutsideHost {
  remove(): void;
}

/** A command's exit code and output. */
export function sh(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A command that must succeed: its stdout. */
export function ok(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface OutsideHostOptions {
  /** The namespace's name and the host end of the veth (at most 15 characters). */
  netns: string;
  veth: string;
  /** `address/prefix` on the host end, e.g. 198.51.100.1/24. */
  hostAddresses: string[];
  /** `address/prefix` in the namespace, e.g. 198.51.100.2/24. */
  addresses: string[];
  /** The server: a Node script run in the namespace. */
  script: string;
  /** A URL the host can fetch once the server is up, and the body it must answer. */
  ready: { url: string; body: string };
}

export async function startOutsideHost(o: OutsideHostOptions): Promise<OutsideHost> {
  let server: ChildProcess | undefined;
  const remove = () => {
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
    if (sh('ip', ['netns', 'list']).stdout.split('\n').some((l) => l.split(' ')[0] === o.netns)) sh('ip', ['netns', 'delete', o.netns]);
    sh('ip', ['link', 'delete', o.veth]);
  };
  remove();
  try {
    ok('ip', ['netns', 'add', o.netns]);
    ok('ip', ['link', 'add', o.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', o.netns]);
    for (const addr of o.hostAddresses) ok('ip', ['addr', 'add', addr, 'dev', o.veth]);
    ok('ip', ['link', 'set', o.veth, 'up']);
    for (const addr of o.addresses) ok('ip', ['-n', o.netns, 'addr', 'add', addr, 'dev', 'eth0']);
    ok('ip', ['-n', o.netns, 'link', 'set', 'eth0', 'up']);
    ok('ip', ['-n', o.netns, 'link', 'set', 'lo', 'up']);
    server = spawn('ip', ['netns', 'exec', o.netns, process.execPath, '-e', o.script], { stdio: 'ignore' });
    await waitFor('the outside server', async () => {
      const r = sh('curl', ['-s', '--max-time', '1', o.ready.url]);
      return r.code === 0 && r.stdout === o.ready.body;
    });
  } catch (e) {
    remove();
    throw e;
  }
  return { remove };
}

/** Whether the host already routes any address of `cidr` other than by its default route (the test needs the range free). */
export function hostRoutes(cidr: string): string {
  return ok('ip', ['-4', 'route', 'show', 'match', cidr.replace(/\/\d+$/, '/32')])
    .split('\n')
    .filter((l) => l && !l.startsWith('default'))
    .join('\n');
}
