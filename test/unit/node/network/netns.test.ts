import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertHostVisible, netnsExecArgv, netnsMounts, netnsMountsFrom, netnsPinned, parseMountinfo } from '../../../../src/node/network/netns.js';
import { NETNS_DIR } from '../../../../src/node/network/names.js';
import { nodeExecArgv } from '../../../../src/node/network/index.js';

// Lines as /proc/self/mountinfo shows them in the host and under `ip netns exec`.
const HOST = `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
42 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw
43 42 0:4 net:[4026532177] /run/netns/skiff.dev.fabric rw shared:2 - nsfs nsfs rw
44 42 0:4 net:[4026532178] /run/netns/skiff.dev.n1 rw shared:3 - nsfs nsfs rw
45 27 0:50 / /mnt/with\\040space rw - tmpfs tmpfs rw`;
const IP_NETNS_EXEC = `45 44 254:0 / / rw,relatime - ext4 /dev/vda rw
65 45 254:0 /run/netns /run/netns rw,relatime master:1 - ext4 /dev/vda rw
66 65 0:4 net:[4026532177] /run/netns/skiff.dev.fabric rw master:2 - nsfs nsfs rw`;

test('mountinfo parsing decodes mount points and keeps propagation fields', () => {
  const m = parseMountinfo(HOST);
  assert.equal(m.length, 5);
  assert.deepEqual(m[1], { mountPoint: '/run/netns', optional: ['shared:1'] });
  assert.equal(m[4].mountPoint, '/mnt/with space');
  assert.deepEqual(m[0].optional, []);
});

test('pinned namespaces are the bind mounts under the netns dir', () => {
  const h = netnsMountsFrom(HOST, '/run/netns');
  assert.deepEqual([...h.pinned].sort(), ['skiff.dev.fabric', 'skiff.dev.n1']);
  assert.equal(h.receiveOnly, false);
  assertHostVisible(h, 'x');
});

test('a private mount namespace made by ip netns exec is refused with an explanation', () => {
  const c = netnsMountsFrom(IP_NETNS_EXEC, '/run/netns');
  assert.equal(c.receiveOnly, true);
  assert.throws(() => assertHostVisible(c, 'setting up the network of pod u'), /^Error: setting up the network of pod u: .*ip netns exec.*nsenter --net=/);
  // Before the first `ip netns add` the dir is no mount at all: nothing pinned, nothing refused.
  const none = netnsMountsFrom('27 1 254:0 / / rw - ext4 /dev/vda rw', '/run/netns');
  assert.equal(none.pinned.size, 0);
  assert.equal(none.receiveOnly, false);
});

test('processes enter a node namespace with nsenter, keeping the mount namespace', () => {
  assert.deepEqual(netnsExecArgv('skiff.dev.n1'), ['nsenter', '--net=/var/run/netns/skiff.dev.n1', '--']);
  assert.deepEqual(nodeExecArgv('dev', 1), ['nsenter', '--net=/var/run/netns/skiff.dev.n2', '--']);
});

test('netnsPinned agrees with the mount table: a pinned namespace is, a plain file or a missing one is not', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, () => {
  const name = `skiff-unit-pinned-${process.pid}`;
  const path = join(NETNS_DIR, name);
  assert.equal(netnsPinned(name), false);
  try {
    mkdirSync(NETNS_DIR, { recursive: true });
    // What a crash between creating the file and mounting on it leaves.
    writeFileSync(path, '');
    assert.equal(netnsPinned(name), false);
    rmSync(path);
    assert.equal(spawnSync('ip', ['netns', 'add', name]).status, 0);
    assert.equal(netnsPinned(name), true);
    assert.equal(netnsMounts().pinned.has(name), true);
  } finally {
    spawnSync('ip', ['netns', 'delete', name]);
    rmSync(path, { force: true });
  }
  assert.equal(netnsPinned(name), false);
});
