// hostPath volumes as pkg/volume/hostpath/host_path.go sets them up (Kubernetes 1.33): the path
// must have no `..`; an unset type checks nothing; the *OrCreate types create what is missing
// (0755 directories with their parents, 0644 files but not their parents) and every other type
// must find exactly its kind of file, following symlinks (hostutil GetFileType's os.Stat).
import { closeSync, constants, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { goPathError } from './security-context.js';

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;

/** Checks and creates the volume's path; throws with upstream's message (shown as FailedMount). */
export function setUpHostPath(path: string, type: string | undefined | null): void {
  if (path.split('/').includes('..')) throw new Error(`invalid HostPath \`${path}\`: must not contain '..'`);
  const t = type ?? '';
  if (t === '') {
    // Not the plugin's work: containerd's CRI plugin makes a missing bind-mount source a 0755
    // directory when it creates the container, which is what an unset type gets.
    if (!stat(path)) makeDir(path);
    return;
  }
  // The *OrCreate types check what they find as their plain type does (Go's fallthrough).
  if (t === 'DirectoryOrCreate' && !stat(path)) return makeDir(path);
  if (t === 'FileOrCreate' && !stat(path)) return makeFile(path);
  switch (t) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!stat(path)?.isDirectory()) throw typeError(path, 'a directory');
      return;
    case 'FileOrCreate':
    case 'File':
      if (!stat(path)?.isFile()) throw typeError(path, 'a file');
      return;
    case 'Socket':
      if (!stat(path)?.isSocket()) throw typeError(path, 'a socket file');
      return;
    case 'CharDevice':
      if (!stat(path)?.isCharacterDevice()) throw typeError(path, 'a character device');
      return;
    case 'BlockDevice':
      if (!stat(path)?.isBlockDevice()) throw typeError(path, 'a block device');
      return;
    default:
      throw new Error(`${t} is an invalid volume type`);
  }
}

function typeError(path: string, what: string): Error {
  return new Error(`hostPath type check failed: ${path} is not ${what}`);
}

/** hostutil PathExists + GetFileType: os.Stat, so a symlink counts as what it points at. */
function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** os.MkdirAll(path, 0755): the process umask applies, as it does to the kubelet. */
function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(goPathError('mkdir', (e as NodeJS.ErrnoException).path ?? path, e));
  }
}

/** os.OpenFile(path, O_CREATE, 0644): no parent directories, as upstream's docs warn. */
function makeFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new Error(goPathError('open', path, e));
  }
  closeSync(fd);
}
