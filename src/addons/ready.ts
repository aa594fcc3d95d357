// How a built-in add-on image tells the container runtime that it serves, as a systemd service
// of Type=notify says READY=1: the runtime reports the container started only then, so the
// kubelet's first readiness probe (upstream's timing: at start, then every periodSeconds) finds a
// listening, synced server instead of waiting a whole period after a refused first try.
import { renameSync, writeFileSync } from 'node:fs';
import { READY_FILE_ENV } from '../images/config.js';

/** Says READY=1 once; without the variable (run by hand, or by a runtime that does not wait) it does nothing. */
export function notifyReady(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[READY_FILE_ENV];
  if (!file) return;
  try {
    // Written whole under another name first: the runtime reacts to the name appearing.
    writeFileSync(`${file}.tmp`, 'READY=1\n');
    renameSync(`${file}.tmp`, file);
  } catch (e) {
    // The runtime then reports the container started at its own time limit; serving goes on.
    process.stderr.write(`notifying the container runtime (${file}): ${(e as Error).message}\n`);
  }
}
