// Exit codes of processes that a signal ends, on every path that reports one: the exec'd command
// (`kubectl exec`, with and without a tty) and the container's main process (the shim's exit
// file). Each case kills a real process; upstream (runc, containerd) reports 128 + the signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execInContainer, exitCodeOf } from '../../../src/node/kubelet/runtime/exec.js';
import { parseExitFile, shellArgv, SHIM_SCRIPT } from '../../../src/node/kubelet/runtime/shim.js';

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

const root = process.getuid?.() === 0;

test('kubectl exec: a command a signal ends reports 128 + the signal, with and without a tty', { skip: root ? false : 'nsenter needs root' }, async () => {
  // Any process serves as the "container": nsenter into its namespaces, which are the host's.
  const target = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => target.once('spawn', resolve));
    const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
    for (const [sig, want] of Object.entries(EXPECTED)) {
      for (const tty of hasScript ? [false, true] : [false]) {
        const p = execInContainer({ pid: target.pid!, procsFiles: [], argv: suicide(sig), tty, stdin: false });
        p.stdout.resume();
        p.stderr?.resume();
        // Opens the tty gate at once instead of after its wait for a first size.
        if (tty) p.resize(80, 24);
        assert.equal(await p.exit, want, `${sig} tty=${tty}`);
      }
    }
  } finally {
    target.kill('SIGKILL');
  }
});

test('container exit: the shim records 128 + the signal, SIGINT and SIGQUIT included', async () => {
  const base = mkdtempSync(join(tmpdir(), 'skiff-exit-'));
  try {
    for (const [sig, want] of Object.entries({ ...EXPECTED, SIGINT: 130, SIGQUIT: 131, SIGKILL: 137 })) {
      const d = mkdtempSync(join(base, 'a-'));
      // No stamper, oom counter or cgroup: the exit path alone.
      const r = spawnSync(shellArgv()[0], [...shellArgv().slice(1), '-c', SHIM_SCRIPT, 'skiff-shim', d, join(d, 'log'), '/bin/true', join(d, 'no-oom'), '', ...suicide(sig)], { stdio: 'ignore', timeout: 10_000 });
      assert.equal(r.status, 0, sig);
      assert.equal(parseExitFile(readFileSync(join(d, 'exit'), 'utf8'))?.exitCode, want, sig);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
