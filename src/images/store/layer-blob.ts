// A layer blob, already checked against its digest, unpacked into its directory through the
// decompressor its first bytes name: gzip (Node's zlib), zstd, or a plain tar. Node 20's zlib has
// no zstd, so zstd layers stream through Debian's `zstd` program, as containerd streams gzip
// through `unpigz` when it has it: native speed, constant memory, and no new npm dependency.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { LayerError, unpackLayer } from './unpack.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Unpacks the layer blob file `blob` (of media type `mediaType`, for messages) into `dir`, over
 * the already unpacked layers `parents` (topmost first).
 */
export async function unpackBlob(blob: string, dir: string, mediaType: string, parents: string[] = []): Promise<void> {
  const magic = await head(blob);
  const starts = (m: number[]) => m.every((b, i) => magic[i] === b);
  if (starts(GZIP_MAGIC)) {
    const gunzip = createGunzip();
    await Promise.all([pipeline(createReadStream(blob), gunzip), unpackLayer(gunzip, dir, parents)]);
  } else if (starts(ZSTD_MAGIC)) {
    await unzstd(blob, dir, mediaType, parents);
  } else {
    await unpackLayer(createReadStream(blob), dir, parents);
  }
}

async function unzstd(blob: string, dir: string, mediaType: string, parents: string[]): Promise<void> {
  const child = spawn('zstd', ['-d', '-c', '-q', '--', blob], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new LayerError(`layer media type ${mediaType}: running zstd: ${e.message} (install Debian's zstd package)`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new LayerError(`layer media type ${mediaType}: zstd: ${stderr.trim() || `exited with ${code ?? signal}`}`));
    });
  });
  let killed = false;
  const unpacked = unpackLayer(child.stdout, dir, parents).catch((e: unknown) => {
    // Nobody reads zstd's output any more: it would block on the pipe.
    if (child.exitCode === null && child.signalCode === null) killed = child.kill();
    throw e;
  });
  const [u, x] = await Promise.allSettled([unpacked, exited]);
  // A zstd that failed cut the tar short: its own error is the cause.
  if (x.status === 'rejected' && !killed) throw x.reason;
  if (u.status === 'rejected') throw u.reason;
}
