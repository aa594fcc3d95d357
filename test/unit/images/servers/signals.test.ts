// How the image programs that play Go programs end on SIGTERM when they are a container's PID 1,
// as in a pod: Go's runtime exits with status 2 (the kernel drops the signal it re-raises), where
// Node as PID 1 would ignore it and the pod would wait out its grace period. Each program runs
// as PID 1 of a PID namespace of its own (unshare, which needs root) and gets SIGTERM from
// outside it, as the runtime sends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { argvFor, freePort, start, waitForPort } from '../helpers.js';

const skip = process.getuid?.() !== 0 && 'needs root for a PID namespace';

/** The program as PID 1 of a new PID namespace; its process is unshare's only child. */
function asPid1(argv: string[]) {
  return start(['unshare', '--pid', '--fork', '--kill-child', ...argv]);
}

function childOf(pid: number): number {
  return Number(execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
}

async function exitOnSigterm(argv: string[], port: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const running = asPid1(argv);
  try {
    await waitForPort(port, running);
    process.kill(childOf(running.child.pid!), 'SIGTERM');
    // Bounded, so that a program that ignores the signal fails the test rather than hanging it.
    let guard: NodeJS.Timeout | undefined;
    const ignored = new Promise<'ignored'>((resolve) => (guard = setTimeout(() => resolve('ignored'), 30_000)));
    const outcome = await Promise.race([running.exited, ignored]);
    clearTimeout(guard);
    assert.notEqual(outcome, 'ignored', 'still running 30 s after SIGTERM');
    return outcome as { code: number | null; signal: NodeJS.Signals | null };
  } finally {
    await running.stop();
  }
}

test('agnhost netexec, which asks for no signal, exits with status 2 on SIGTERM as PID 1', { skip }, async () => {
  const port = await freePort();
  const argv = argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', `--http-port=${port}`, '--udp-port=-1']);
  assert.deepEqual(await exitOnSigterm(argv, port), { code: 2, signal: null });
});

test("Istio's tcp-echo exits with status 2 on SIGTERM as PID 1", { skip }, async () => {
  const port = await freePort();
  assert.deepEqual(await exitOnSigterm(argvFor('docker.io/istio/tcp-echo-server:1.3', undefined, [String(port), 'hello']), port), { code: 2, signal: null });
});

test('fortio server exits with status 2 on SIGTERM as PID 1', { skip }, async () => {
  const [http, tcp, redirect] = [await freePort(), await freePort(), await freePort()];
  const argv = argvFor('docker.io/fortio/fortio:latest_release', undefined, ['server', '-http-port', String(http), '-tcp-port', String(tcp), '-udp-port', String(tcp), '-redirect-port', String(redirect), '-grpc-port', 'disabled']);
  assert.deepEqual(await exitOnSigterm(argv, http), { code: 2, signal: null });
});

test('outside a PID namespace the signal ends it, as it ends a Go program', async () => {
  const port = await freePort();
  const running = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', `--http-port=${port}`, '--udp-port=-1']));
  try {
    await waitForPort(port, running);
    running.child.kill('SIGTERM');
    assert.deepEqual(await running.exited, { code: null, signal: 'SIGTERM' });
  } finally {
    await running.stop();
  }
});
