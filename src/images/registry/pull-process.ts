// Pulls run in a process of their own in the host's network namespace: the node agent lives in
// its node's namespace, which has no route off the machine (and none at all with --egress none),
// while a pull must see registries, proxies and DNS as the machine does, and a registry on the
// host's loopback. The host's namespace is the control plane's, which runs where `skiff up` ran
// (the init process's may not be open to us, e.g. in a VM sandbox or a container). The agent starts
//
//   nsenter --net=/proc/<control plane>/ns/net -- node pull-process.js   (request on stdin, JSON)
//
// and reads one JSON line back: the stored image, or the PullError. Unpacking in that process
// also keeps the agent's event loop free while layers are written.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseGoDuration } from '../../api/duration.js';
import type { ImageReference } from '../reference.js';
import { ImageStore, type StoredImage } from '../store/store.js';
import type { Credentials } from './auth.js';
import { PullError } from './pull-error.js';

/** The network namespace of the control plane whose pid file is `pidFile`; throws PullError when it is not running. */
export function hostNetns(pidFile: string): string {
  let pid = NaN;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    // reported below
  }
  const path = `/proc/${pid}/ns/net`;
  try {
    if (Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve')) return path;
  } catch {
    // reported below
  }
  throw new PullError('Unknown', `pulls go out from the control plane's network namespace, and the control plane (${pidFile}) is not running`);
}

interface PullRequest {
  home: string;
  ref: ImageReference;
  credentials: Credentials[];
  /** Overrides SKIFF_IMAGE_PULL_TIMEOUT when shorter. */
  timeoutMs?: number;
}

/**
 * How long a pull waits for a registry to connect, to answer, or to send more of a blob
 * (SKIFF_IMAGE_PULL_TIMEOUT, a Go duration; 30s by default): a stalled registry fails the pull
 * with ErrImagePull instead of holding the container in ContainerCreating.
 */
export const PULL_TIMEOUT_ENV = 'SKIFF_IMAGE_PULL_TIMEOUT';

export function pullTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env[PULL_TIMEOUT_ENV];
  if (!v) return undefined;
  const ms = parseGoDuration(v);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

type PullAnswer = { ok: true; image: StoredImage } | { ok: false; code: PullError['code']; message: string; unreachable: boolean };

/** Runs one pull in the host's network namespace; resolves to the stored image or throws PullError. */
export function pullInHostNetwork(req: PullRequest, netns: string, signal?: AbortSignal): Promise<StoredImage> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netns}`, '--', process.execPath, script], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => reject(new PullError('Unknown', `starting the image pull of ${req.ref.domain}/${req.ref.path}: ${e.message}`)));
    child.on('close', (code) => {
      let answer: PullAnswer;
      try {
        answer = JSON.parse(out.trim().split('\n').pop() ?? '') as PullAnswer;
      } catch {
        reject(new PullError('Unknown', `the image pull of ${req.ref.domain}/${req.ref.path} ended (exit ${code}) without an answer: ${err.trim().slice(-500)}`));
        return;
      }
      if (answer.ok) resolve(answer.image);
      else reject(new PullError(answer.code, answer.message, answer.unreachable));
    });
    child.stdin.end(JSON.stringify(req));
  });
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const req = JSON.parse(input) as PullRequest;
  let answer: PullAnswer;
  try {
    const fromEnv = pullTimeoutFromEnv(process.env);
    const timeoutMs = req.timeoutMs !== undefined && (fromEnv === undefined || req.timeoutMs < fromEnv) ? req.timeoutMs : fromEnv;
    // Only the pull process loads the registry client (and undici's fetch with it), not the agent.
    const { pullImage } = await import('./pull.js');
    const image = await pullImage({ store: new ImageStore(req.home), ref: req.ref, credentials: req.credentials, timeoutMs });
    answer = { ok: true, image };
  } catch (e) {
    const pe = e instanceof PullError ? e : new PullError('Unknown', (e as Error).message);
    answer = { ok: false, code: pe.code, message: pe.message, unreachable: pe.unreachable };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
