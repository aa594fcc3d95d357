import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBridgeNetfilter } from '../../../../src/node/networkpolicy/bridge-netfilter.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-brnf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('switches bridge-nf-call-iptables on, and says why when it cannot', () => {
  const path = join(dir, 'bridge-nf-call-iptables');
  writeFileSync(path, '0\n');
  assert.equal(ensureBridgeNetfilter(path), undefined);
  assert.equal(readFileSync(path, 'utf8').trim(), '1');
  assert.equal(ensureBridgeNetfilter(path), undefined, 'already on');
  assert.match(ensureBridgeNetfilter(join(dir, 'missing')) ?? '', /br_netfilter is not loaded.*same node/);
});
