import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Starts real clusters through the real `skiff` command and drives them with the real kubectl.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SKIFF = join(ROOT, 'bin', 'skiff.js');
export const SCENARIOS = resolve(ROOT, '..', 'shared', 'scenarios');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 120_000): Promise<Result> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      res({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface Cluster {
  name: string;
  port: number;
  dir: string;
  env: NodeJS.ProcessEnv;
  kubectl(args: string[], opts?: { input?: string; bin?: string; timeoutMs?: number }): Promise<Result>;
  /** kubectl that must succeed: its stdout, or an error carrying the command and its stderr. */
  ok(args: string[], input?: string): Promise<string>;
  skiff(args: string[]): Promise<Result>;
  down(): Promise<void>;
}

/**
 * Creates a cluster with its own SKIFF_HOME, KUBECONFIG and kubectl cache; `down()` removes all
 * of it. Without `nodes` the cluster is the control plane alone, so pods stay Pending.
 */
export async function startCluster(prefix = 'e2e', opts: { nodes?: number; env?: NodeJS.ProcessEnv; upArgs?: string[] } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKIFF_HOME: join(dir, 'home'),
    KUBECONFIG: join(dir, 'kubeconfig'),
    KUBECACHEDIR: join(dir, 'kubecache'),
    HOME: process.env.HOME ?? dir,
    ...opts.env,
  };
  const skiff = (args: string[]) => run(process.execPath, [SKIFF, ...args], env);
  // Egress is off unless asked for, so that tests leave the host's forwarding and nftables alone.
  const upArgs = opts.upArgs ?? [];
  const egress = upArgs.some((a) => a === '--egress' || a.startsWith('--egress=')) ? [] : ['--egress', 'none'];
  // Built-in images unless a test asks otherwise: a test never reaches a registry off the machine
  // (the image tests start their own on loopback).
  const images = upArgs.some((a) => a === '--images' || a.startsWith('--images=')) ? [] : ['--images', 'builtin'];
  const up = await skiff(['up', '--name', name, '--port', String(port), '--nodes', String(opts.nodes ?? 0), ...egress, ...images, ...upArgs]);
  if (up.code !== 0) {
    await skiff(['down', '--name', name]);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`skiff up --name ${name} failed (${up.code}): ${up.stdout}\n${up.stderr}`);
  }
  return {
    name,
    port,
    dir,
    env,
    skiff,
    kubectl: (args, opts = {}) => run(opts.bin ?? 'kubectl', args, env, opts.input, opts.timeoutMs),
    async ok(args, input) {
      const r = await run('kubectl', args, env, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async down() {
      await skiff(['down', '--name', name]);
      const left = leftovers(name, dir);
      // A kubectl of the test may still be writing its cache as the cluster goes.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      if (left.length) throw new Error(`skiff down --name ${name} left behind:\n  ${left.join('\n  ')}`);
    },
  };
}

/**
 * What a cluster may have left on the machine: its namespaces, cgroups and processes (by their
 * command line: anything naming the test's directory, and the cluster's host-port publisher and
 * forwarder wherever its home was).
 */
export function leftovers(name: string, dir: string): string[] {
  const out: string[] = [];
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of ns.split('\n')) if (line.startsWith(`skiff.${name}.`)) out.push(`network namespace ${line.split(' ')[0]}`);
  for (const c of ['cpu', 'memory', 'pids', 'unified', '']) {
    if (existsSync(join('/sys/fs/cgroup', c, `skiff.${name}`))) out.push(`cgroup ${join('/sys/fs/cgroup', c, `skiff.${name}`)}`);
  }
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const hostPorts = /[/\\]host-ports[/\\](main|forwarder)\.js /.test(cmd) && cmd.includes(` --cluster ${name} `);
    if ((cmd.includes(dir) || hostPorts) && Number(e) !== process.pid) out.push(`process ${e}: ${cmd.slice(0, 160)}`);
  }
  return out;
}

/** The directory of the real kubectl binary, where kubectl.1.28 … kubectl.1.33 live too. */
export function kubectlVersionBin(minor: number): string | undefined {
  const which = spawnSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], { encoding: 'utf8' });
  const p = join(dirname(which.stdout.trim()), `kubectl.1.${minor}`);
  return spawnSync(p, ['version', '--client'], { encoding: 'utf8' }).status === 0 ? p : undefined;
}

/** Polls `check` until it returns true; fails with `what` after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
