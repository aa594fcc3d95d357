// The runtime's resident launcher against Node's spawn: the same commands give the same results
// through both, so that the agent's callers (sandbox, CNI plugin, shim) see no difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperLauncher, spawnLauncher, type Launcher } from '../../../src/node/launcher.js';
import { ensureHelper } from '../../../src/node/kubelet/runtime/helper.js';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-launcher-'));
// The build's helper, else one compiled here.
const helper = ensureHelper(scratch);
const launchers: Array<[string, Launcher]> = [
  ['spawn', spawnLauncher],
  ['launcher', new HelperLauncher(helper)],
];

test.after(() => rmSync(scratch, { recursive: true, force: true }));

for (const [kind, l] of launchers) {
  test(`${kind}: stdin in, stdout and stderr out, the exit code, stdout as it comes, the env as given`, async () => {
    const seen: string[] = [];
    const r = await l.run(['/bin/sh', '-c', 'cat; echo "$GREETING" >&2; exit 3'], { env: { GREETING: 'hi there' }, input: 'hello\n', onStdout: (b) => seen.push(b.toString()) });
    assert.deepEqual({ code: r.code, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() }, { code: 3, signal: null, stdout: 'hello\n', stderr: 'hi there\n' });
    assert.equal(seen.join(''), 'hello\n');
  });

  test(`${kind}: without input stdin is at its end; a signal is reported by name`, async () => {
    const r = await l.run(['/bin/sh', '-c', 'cat; kill -TERM $$'], { env: {} });
    assert.deepEqual([r.code, r.signal, r.stdout.length], [null, 'SIGTERM', 0]);
  });

  test(`${kind}: a program that is not there fails as Node's spawn fails`, async () => {
    await assert.rejects(l.run(['/nonexistent/program'], { env: {} }), { message: 'spawn /nonexistent/program ENOENT', code: 'ENOENT' });
  });

  test(`${kind}: input and output beyond a pipe's buffer`, async () => {
    const input = 'x'.repeat(300_000);
    const r = await l.run(['/bin/sh', '-c', 'wc -c; head -c 200000 /dev/zero'], { env: { PATH: '/usr/bin:/bin' }, input });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, '300000\n'.length + 200_000);
    assert.equal(r.stdout.subarray(0, 7).toString(), '300000\n');
  });

  test(`${kind}: many at once, each with its own output`, async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => l.run(['/bin/sh', '-c', `echo ${i}; exit ${i % 7}`], { env: {} })));
    rs.forEach((r, i) => assert.deepEqual([r.stdout.toString(), r.code], [`${i}\n`, i % 7]));
  });

  test(`${kind}: detached, in a session of its own, in the directory asked for`, async () => {
    const out = join(scratch, `${kind}-cwd`);
    const pid = await l.detach(['/bin/sh', '-c', `pwd > ${out}.tmp && mv ${out}.tmp ${out}; sleep 5`], { env: { PATH: '/usr/bin:/bin' }, cwd: '/tmp' });
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command: state, ppid, pgrp, session.
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    assert.equal(session, pid);
    // It writes the file once running, after detach has returned.
    for (let i = 0; i < 500 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readFileSync(out, 'utf8'), '/tmp\n');
    process.kill(pid, 'SIGKILL');
  });
}
