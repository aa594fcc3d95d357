// Command-line parsing for `skiff`. Each command accepts a fixed set of flags; anything else is
// a usage error (exit 2), so a typo never silently does something else.

import { parseArgs } from 'node:util';
import { DEFAULT_CLUSTER_NAME } from '../cluster/constants.js';
import { parseGoDuration } from '../api/duration.js';
import { controllerManagerFlag, parseControllerManagerFlags } from '../controllers/options.js';

export type Command = 'up' | 'stop' | 'down' | 'status' | 'kubeconfig' | 'serve' | 'load' | 'images' | 'help';

export interface UpFlags {
  name: string;
  port?: number;
  nodes?: number;
  egress?: string;
  publishAddress?: string;
  images?: 'auto' | 'registry' | 'builtin';
  /** How long to wait for the cluster to be usable, in ms; 0 returns once the API answers. */
  waitMs?: number;
  /** kube-controller-manager flags, `--name=value`, for the control plane this `up` starts. */
  controllerManagerArgs?: string[];
}

export type ParsedCommand =
  | { command: 'up'; flags: UpFlags }
  | { command: 'stop' | 'down' | 'status' | 'kubeconfig'; flags: { name: string } }
  | { command: 'serve'; flags: { name: string; home?: string; controllerManagerArgs: string[] } }
  | { command: 'load'; flags: { name: string; paths: string[] } }
  | { command: 'images'; flags: { name: string; prune: boolean } }
  | { command: 'help'; flags: Record<string, never> };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: skiff <command> [flags]

Commands:
  up          create or resume a cluster and make it kubectl's current context
  stop        stop a cluster's control plane and keep its state
  down        stop a cluster, delete its state and remove it from the kubeconfig
  status      show whether a cluster is running, its address, pid and uptime
  kubeconfig  print a standalone kubeconfig for a cluster
  load        load images into the machine's image store for a cluster's pods:
              skiff load [--name N] FILE|DIR… (docker save or OCI archives, OCI layouts)
  images      list the machine's image store, shared by its clusters;
              \`skiff images prune\` removes what no running container uses

Flags:
  --name N     cluster name (default "skiff"); all commands
  --port P     API server port on 127.0.0.1 (default 6443 if free); up, at creation
  --nodes N    number of nodes (default 1, 0 for the control plane alone); up, at creation
  --egress E   traffic the nodes may send off the machine: all, none, or a
               comma-separated list of CIDRs (default all); up, at creation
  --publish-address A
               an IPv4 address of this machine (e.g. on a LAN) on which NodePorts
               and LoadBalancer ports are published too; up, at creation
  --images M   where containers' images come from: auto (registries, and the
               built-in images when a registry cannot be reached), registry,
               or builtin (default auto); up, at creation
  --wait D     how long up waits for nodes Ready, cluster DNS and the ingress
               controller (a Go duration: 30s, 2m, 0 to return once the API
               answers; default 1m); up
  --kube-controller-manager-arg NAME=VALUE
               a kube-controller-manager flag for the control plane that up
               starts, as k3s takes it; repeatable, e.g.
               --kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=5s;
               up
  -h, --help   show this help
`;

/** k3s's flag for kube-controller-manager's own flags; the only one that may be given more than once. */
export const CONTROLLER_MANAGER_ARG = 'kube-controller-manager-arg';

// Flags each command accepts; all of them take a value.
const FLAGS: Record<Exclude<Command, 'help'>, readonly string[]> = {
  up: ['name', 'port', 'nodes', 'egress', 'publish-address', 'images', 'wait', CONTROLLER_MANAGER_ARG],
  stop: ['name'],
  down: ['name'],
  status: ['name'],
  kubeconfig: ['name'],
  serve: ['name', 'home', CONTROLLER_MANAGER_ARG],
  load: ['name'],
  images: [],
};

// Cluster names end up in directory names, kubeconfig entries and (later) in names of network
// namespaces and nftables tables, so they follow the DNS-1123 label rule, like kind's names.
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 40;

export function validateClusterName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME_RE.test(name)) {
    throw new UsageError(
      `invalid cluster name "${name}": must be 1-${MAX_NAME_LENGTH} lower case alphanumeric characters or '-', ` +
        `starting and ending with an alphanumeric character`,
    );
  }
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`invalid value "${value}" for --${flag}: must be an integer`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`invalid value "${value}" for --${flag}: must be between ${min} and ${max}`);
  return n;
}

const IPV4_CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

export function validateEgress(value: string): string {
  if (value === 'all' || value === 'none') return value;
  const parts = value.split(',');
  for (const part of parts) {
    const m = IPV4_CIDR_RE.exec(part);
    const ok =
      m !== null &&
      m.slice(1, 5).every((o) => Number(o) <= 255) &&
      (m[5] === undefined || Number(m[5]) <= 32);
    if (!ok) {
      throw new UsageError(
        `invalid value "${value}" for --egress: must be all, none, or a comma-separated list of IPv4 CIDRs (e.g. 10.0.0.0/8,192.0.2.7)`,
      );
    }
  }
  return parts.join(',');
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** One IPv4 address, written canonically (no leading zeros), and not one that means "every address". */
export function validatePublishAddress(value: string): string {
  const m = IPV4_RE.exec(value);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  if (!m || octets.some((o) => o > 255) || octets.every((o) => o === 0)) {
    throw new UsageError(`invalid value "${value}" for --publish-address: must be an IPv4 address of this machine (e.g. 192.168.1.20)`);
  }
  return octets.join('.');
}

/** A Go duration (`time.ParseDuration`, as kind's --wait takes it): `0`, `500ms`, `30s`, `1m30s`; in ms. */
export function parseDuration(flag: string, value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0) throw new UsageError(`invalid value "${value}" for --${flag}: must be a duration such as 30s, 2m or 1m30s (0 for no wait)`);
  return Math.round(ms);
}

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('skiff: no command given');
  if (command === 'help' || command === '-h' || command === '--help') return { command: 'help', flags: {} };
  if (!Object.hasOwn(FLAGS, command)) throw new UsageError(`skiff: unknown command "${command}"`);
  const cmd = command as Exclude<Command, 'help'>;
  const allowed = FLAGS[cmd];

  const { tokens } = parseArgs({
    args: [...rest],
    options: Object.fromEntries(allowed.map((f) => [f, { type: 'string' }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // parseArgs is lenient here so that each mistake gets skiff's own message, in argument order.
  const values = new Map<string, string>();
  const controllerManagerArgs: string[] = [];
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option' && (token.rawName === '-h' || token.rawName === '--help')) return { command: 'help', flags: {} };
    if (token.kind === 'positional' && (cmd === 'load' || (cmd === 'images' && token.value === 'prune' && positionals.length === 0))) {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option' || !token.rawName.startsWith('--')) {
      throw new UsageError(`skiff ${cmd}: unexpected argument "${rest[token.index]}"`);
    }
    const flag = token.name;
    if (!allowed.includes(flag)) throw new UsageError(`skiff ${cmd}: unknown flag --${flag}`);
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('--'))) throw new UsageError(`skiff ${cmd}: flag --${flag} needs a value`);
    if (flag === CONTROLLER_MANAGER_ARG) {
      controllerManagerArgs.push(value);
      continue;
    }
    if (values.has(flag)) throw new UsageError(`skiff ${cmd}: flag --${flag} given more than once`);
    values.set(flag, value);
  }

  try {
    return flagsOf(cmd, values, positionals, controllerManagerFlags(controllerManagerArgs));
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`skiff ${cmd}: ${err.message}`);
    throw err;
  }
}

/** Each --kube-controller-manager-arg as the flag it stands for, checked as the controller manager will read them. */
function controllerManagerFlags(args: string[]): string[] {
  const flags = args.map(controllerManagerFlag);
  try {
    parseControllerManagerFlags(flags);
  } catch (err) {
    throw new UsageError(`invalid value for --${CONTROLLER_MANAGER_ARG}: ${(err as Error).message}`);
  }
  return flags;
}

function flagsOf(cmd: Exclude<Command, 'help'>, values: Map<string, string>, positionals: string[], controllerManagerArgs: string[]): ParsedCommand {
  const name = values.get('name') ?? DEFAULT_CLUSTER_NAME;
  validateClusterName(name);

  switch (cmd) {
    case 'up': {
      const flags: UpFlags = { name };
      const port = values.get('port');
      if (port !== undefined) flags.port = parseInteger('port', port, 1, 65535);
      const nodes = values.get('nodes');
      if (nodes !== undefined) flags.nodes = parseInteger('nodes', nodes, 0, 100);
      const egress = values.get('egress');
      if (egress !== undefined) flags.egress = validateEgress(egress);
      const publishAddress = values.get('publish-address');
      if (publishAddress !== undefined) flags.publishAddress = validatePublishAddress(publishAddress);
      const images = values.get('images');
      if (images !== undefined) {
        if (images !== 'auto' && images !== 'registry' && images !== 'builtin') {
          throw new UsageError(`invalid value "${images}" for --images: must be auto, registry or builtin`);
        }
        flags.images = images;
      }
      const wait = values.get('wait');
      if (wait !== undefined) flags.waitMs = parseDuration('wait', wait);
      if (controllerManagerArgs.length > 0) flags.controllerManagerArgs = controllerManagerArgs;
      return { command: 'up', flags };
    }
    case 'load':
      if (positionals.length === 0) throw new UsageError('name at least one image archive or OCI layout to load');
      return { command: 'load', flags: { name, paths: positionals } };
    case 'images':
      return { command: 'images', flags: { name, prune: positionals[0] === 'prune' } };
    case 'serve': {
      const home = values.get('home');
      return { command: 'serve', flags: { name, ...(home === undefined ? {} : { home }), controllerManagerArgs } };
    }
    default:
      return { command: cmd, flags: { name } };
  }
}
