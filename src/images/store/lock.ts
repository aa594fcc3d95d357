// A lock file per piece of work in the shared image store (one layer's unpack, one blob's
// download), so that two clusters pulling the same image do the work once. The file holds its
// owner's pid: a lock whose owner died (a killed pull) is taken over, never waited on forever.
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MIN_MS = 20;
const POLL_MAX_MS = 500;

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock at `path` once; false while another live process holds it. */
export function tryLock(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let owner: number;
  try {
    owner = Number(readFileSync(path, 'utf8').trim());
  } catch {
    // Released between our open and read: try again at once.
    return tryLock(path);
  }
  // A file without a pid yet is being written by its owner right now.
  if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) return false;
  rmSync(path, { force: true });
  return tryLock(path);
}

/** Runs `fn` holding the lock at `path`, waiting for another holder to finish first. */
export async function withLock<T>(path: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  let wait = POLL_MIN_MS;
  while (!tryLock(path)) {
    signal?.throwIfAborted();
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 2);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
