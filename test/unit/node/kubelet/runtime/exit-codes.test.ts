// Exit codes of processes that a signal ends: upstream (runc, containerd) reports 128 + the
// signal. Each case kills a real process. The runtime's paths that report one (exec, with and
// without a tty, and the container's main process) are tried with runc in
// test/e2e/runtime/node/runtime-in-node.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { exitCodeOf } from '../../../../../src/node/kubelet/runtime/exec.js';
import { shellArgv } from '../../../../../src/node/kubelet/runtime/shim.js';

// Linux numbers, written out so that the test does not check the mapping against itself.
const EXPECTED: Record<string, number> = { SIGSEGV: 139, SIGABRT: 134, SIGUSR1: 138, SIGTERM: 143 };
// Those that dump core by default, and others a shell must not treat specially.
const MORE = ['SIGQUIT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGSYS', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGPIPE', 'SIGUSR2', 'SIGALRM'] as const;

// The process sends the signal to itself; `ulimit -c 0` keeps core-dumping ones from leaving core files.
const suicide = (sig: string) => ['/bin/sh', '-c', `ulimit -c 0; kill -${sig.slice(3)} $$; exit 99`];

function died(argv: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    p.once('error', reject);
    p.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/** What a shell reports for the same death: the reference exitCodeOf must agree with. */
function shellStatus(sig: string): number {
  const r = spawnSync(shellArgv()[0], [...shellArgv().slice(1), '-c', `${suicide(sig).map((a) => `'${a}'`).join(' ')}; echo $?`], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

test('a process a signal ends maps to 128 + the signal, core-dumping or not, as a shell says', async () => {
  for (const sig of [...Object.keys(EXPECTED), ...MORE]) {
    const r = await died(suicide(sig));
    assert.equal(r.code, null, sig);
    assert.equal(r.signal, sig);
    const code = exitCodeOf(r.code, r.signal);
    if (EXPECTED[sig] !== undefined) assert.equal(code, EXPECTED[sig], sig);
    assert.equal(code, 128 + constants.signals[sig as keyof typeof constants.signals], sig);
    assert.equal(code, shellStatus(sig), sig);
  }
  assert.equal(exitCodeOf(3, null), 3);
  assert.equal(exitCodeOf(0, null), 0);
});
