// Mounts the runtime makes in the host's mount namespace: each container's root (an overlay at
// <attempt>/rootfs) and each pod's IPC and UTS namespaces (bind mounts of nsfs files under
// <pod>/ns). Removing a pod or a cluster unmounts what lies under its directory.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Mount points in this mount namespace under `dir` (itself included), deepest first. */
export function mountPointsUnder(dir: string, mountinfo?: string): string[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return [];
    }
  }
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under `dir`; a mount that is already gone is no error. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const mp of mountPointsUnder(dir)) {
    await new Promise<void>((resolve, reject) => {
      const p = spawn('umount', ['-l', mp], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => {
        if (code === 0 || /not mounted|no mount point/.test(err)) resolve();
        else reject(new Error(`umount -l ${mp}: ${err.trim() || `exit ${code}`}`));
      });
    });
  }
}
