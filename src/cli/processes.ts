// The long-lived processes `skiff up` starts beside the control plane (node agents, the host-port
// publisher): started detached with their log, recognised again by command line, stopped with
// SIGTERM and, after a grace period, SIGKILL.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { running } from '../node/process-state.js';

/** A process's argv from /proc, or undefined when it is gone. */
export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

/** Starts argv detached in cwd, stdout and stderr appended to logPath; returns its pid. */
export function spawnDetached(argv: string[], cwd: string, logPath: string): number | undefined {
  const fd = openSync(logPath, 'a', 0o600);
  try {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd], env: process.env });
    child.on('error', () => {});
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * SIGTERM pids, wait up to graceMs for them to exit, then SIGKILL those that `stillOurs` still
 * names (a pid may have been reused by then, so the caller looks again by command line).
 */
export async function terminate(pids: number[], stillOurs: () => number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const pid of stillOurs()) signal(pid, 'SIGKILL');
}
