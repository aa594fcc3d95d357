import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePodAddress } from '../../../../src/node/network/pod-address.js';

/** host-local's directory of a network, with these addresses allocated and this one reserved last. */
function store(allocated: string[], last?: string): { dir: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'skiff-pod-address-'));
  const dir = join(root, 'skiff-n-node-1');
  mkdirSync(dir);
  for (const a of allocated) writeFileSync(join(dir, a), 'uid\r\neth0');
  if (last) writeFileSync(join(dir, 'last_reserved_ip.0'), last);
  writeFileSync(join(dir, 'lock'), '');
  return { dir, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('the first address of an empty network is the one after the gateway', () => {
  const s = store([]);
  try {
    const r = reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1');
    assert.equal(r.ip, '10.244.0.2');
    r.release();
  } finally {
    s.done();
  }
});

test('round-robin from the last reserved address, skipping allocated ones, as host-local does', () => {
  const s = store(['10.244.3.8', '10.244.3.9'], '10.244.3.7');
  try {
    const r = reservePodAddress(s.dir, '10.244.3.0/24', '10.244.3.1');
    assert.equal(r.ip, '10.244.3.10');
    r.release();
  } finally {
    s.done();
  }
});

test('past the broadcast address it wraps to the start, never giving the network, gateway or broadcast address', () => {
  const s = store(['10.244.0.2'], '10.244.0.254');
  try {
    const r = reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1');
    assert.equal(r.ip, '10.244.0.3');
    r.release();
  } finally {
    s.done();
  }
});

test('addresses held for ADDs in flight are not given twice; released, they are free again', () => {
  const s = store([]);
  try {
    const a = reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1');
    const b = reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1');
    assert.deepEqual([a.ip, b.ip], ['10.244.0.2', '10.244.0.3']);
    a.release();
    const c = reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1');
    assert.equal(c.ip, '10.244.0.2');
    b.release();
    c.release();
  } finally {
    s.done();
  }
});

test('a network with every address taken says so', () => {
  const all = Array.from({ length: 253 }, (_, i) => `10.244.0.${i + 2}`);
  const s = store(all);
  try {
    assert.throws(() => reservePodAddress(s.dir, '10.244.0.0/24', '10.244.0.1'), /no free address left in 10\.244\.0\.0\/24/);
  } finally {
    s.done();
  }
});

test('a network host-local has not written to yet (no directory) starts at the first address', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-pod-address-'));
  try {
    const r = reservePodAddress(join(root, 'absent'), '10.244.1.0/24', '10.244.1.1');
    assert.equal(r.ip, '10.244.1.2');
    r.release();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
