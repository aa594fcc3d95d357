// The host's busybox stands in for the userland of busybox- and Alpine-based images: its
// applets answer to `sh`, `sleep`, `wget`, `nslookup`, `ping`, `httpd`, `nc`, … in containers.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/usr/bin/busybox';
/** Searched after the applet directory, like an image's PATH over its own /usr/local/bin, /usr/bin, /bin. */
export const HOST_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];

let applets: Set<string> | undefined;

/** The applets compiled into the host's busybox (`busybox --list`), read once per process. */
export function busyboxApplets(): Set<string> {
  if (!applets) {
    let out = '';
    try {
      out = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
    } catch {
      // No busybox on this host: no applets, and busybox-based images fail when they start.
    }
    applets = new Set(out.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.includes('/')));
  }
  return applets;
}

export function appletDir(clusterDir: string): string {
  return join(clusterDir, 'images', 'bin');
}

/**
 * Makes (idempotently) `<clusterDir>/images/bin/<applet>` → busybox for every applet, so that
 * containers find them first on PATH, and returns that PATH.
 */
export function containerPath(clusterDir: string): string {
  const dir = appletDir(clusterDir);
  mkdirSync(dir, { recursive: true });
  for (const applet of busyboxApplets()) {
    const link = join(dir, applet);
    let current: string | undefined;
    try {
      current = readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current === BUSYBOX) continue;
    // Several agents may prepare the same cluster directory at once: link under a private
    // name and rename over, which is atomic, instead of racing on unlink + symlink.
    const tmp = `${link}.${process.pid}.tmp`;
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing left over from an earlier attempt.
    }
    symlinkSync(BUSYBOX, tmp);
    renameSync(tmp, link);
  }
  return [dir, ...HOST_PATH].join(':');
}

/** Whether a container path names a busybox applet in an image whose userland is busybox. */
export function appletFor(file: string): string | undefined {
  const m = /^(?:\/usr)?\/s?bin\/([^/]+)$/.exec(file);
  const name = m ? m[1] : file.includes('/') ? undefined : file;
  return name !== undefined && busyboxApplets().has(name) ? name : undefined;
}

/** First executable named `name` in the host directories an image's PATH stands for. */
export function hostExecutable(name: string): string | undefined {
  for (const dir of HOST_PATH) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}
