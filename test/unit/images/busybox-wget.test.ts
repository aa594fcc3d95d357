// The busybox that containers run handles the wget options Kubernetes tutorials use, which
// Debian 12's busybox lacks (`-T` crashes it, `--timeout` is unknown). Needs the busybox 1.37
// that scripts/install-deps.sh installs; without it the tests are skipped, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { BUSYBOX, INSTALLED_BUSYBOX, appletArgv } from '../../../src/images/busybox.js';

const skip = existsSync(INSTALLED_BUSYBOX) ? false : `${INSTALLED_BUSYBOX} is absent: run scripts/install-deps.sh as root to fetch busybox 1.37`;

function wget(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const argv = appletArgv('wget', args);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

test('wget -qO- -T, --spider --timeout and -S against a local server', { skip }, async () => {
  assert.equal(appletArgv('wget', [])[0], BUSYBOX);
  const server = createHttpServer((_req, res) => {
    res.setHeader('X-Probe', 'yes');
    res.end('body-ok\n');
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}/`;
  try {
    const get = await wget(['-qO-', '-T', '2', url]);
    assert.deepEqual([get.code, get.signal, get.stdout], [0, null, 'body-ok\n'], get.stderr);

    const spider = await wget(['--spider', '--timeout=1', url]);
    assert.equal(spider.code, 0, spider.stderr);
    assert.match(spider.stderr, /remote file exists/);

    const headers = await wget(['-S', '-O', '/dev/null', url]);
    assert.equal(headers.code, 0, headers.stderr);
    assert.match(headers.stderr, /^ {2}HTTP\/1\.1 200 OK$/m);
    assert.match(headers.stderr, /^ {2}X-Probe: yes$/im);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('wget -T ends a download that never answers', { skip }, async () => {
  // Accepts and says nothing.
  const sockets: Socket[] = [];
  const server = createServer((c) => sockets.push(c.on('error', () => undefined)));
  const port = await listen(server);
  try {
    const r = await wget(['-q', '-O-', '-T', '1', `http://127.0.0.1:${port}/`]);
    assert.equal(r.code, 1);
    assert.equal(r.signal, null);
    assert.equal(r.stderr, 'wget: download timed out\n');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});
