import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostListeningAddresses } from '../../../../src/apiserver/allocators/host-listeners.js';

test('listening addresses are read from /proc/net/tcp: LISTEN sockets only, wildcards left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tcp-'));
  try {
    const p = join(dir, 'tcp');
    writeFileSync(
      p,
      [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 010A007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
        '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
        '   2: 020A007F:0050 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
      ].join('\n'),
    );
    assert.deepEqual([...hostListeningAddresses(p)], ['127.0.10.1']);
    assert.deepEqual([...hostListeningAddresses(join(dir, 'missing'))], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a real listener on a loopback address shows up', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.10.250', r));
  try {
    assert.ok(hostListeningAddresses().has('127.0.10.250'));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
