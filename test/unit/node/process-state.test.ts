import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { running } from '../../../src/node/process-state.js';

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${what} did not happen`);
};

test('a running process runs; a pid that names nothing does not', () => {
  assert.equal(running(process.pid), true);
  assert.equal(running(2 ** 22 + 1), false);
});

test('a zombie (exited, not yet reaped by its parent) does not run, though kill(pid, 0) still finds it', async () => {
  // sh starts a child, then becomes `sleep`, which never reaps it; the child exits once its parent
  // is `sleep` (had it exited sooner, sh could have reaped it first).
  const child = 'while [ "$(cat /proc/$PPID/comm)" != sleep ]; do :; done';
  const parent = spawn('sh', ['-c', `sh -c '${child}' & exec sleep 30`], { stdio: 'ignore' });
  try {
    let zombie = 0;
    await until('the child to exit unreaped', () => {
      const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim();
      zombie = Number(children.split(/\s+/)[0]);
      return zombie > 0 && /\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8'));
    });
    assert.doesNotThrow(() => process.kill(zombie, 0));
    assert.equal(running(zombie), false);
    assert.equal(running(parent.pid!), true);
  } finally {
    parent.kill('SIGKILL');
  }
});
