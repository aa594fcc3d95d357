import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ExecProcess } from '../../../../src/node/kubelet/cri.js';
import { expectedSpdyStreams, SpdyExecHandler } from '../../../../src/node/kubelet/remotecommand.js';
import { SpdySession } from '../../../../src/node/kubelet/spdy-session.js';
import { connection, SpdyTestClient, until } from './spdy-client.js';

/** A command the test finishes by hand. */
function fakeProc(o: { stdin: boolean; stderr: boolean }) {
  let finish!: (code: number) => void;
  const exit = new Promise<number>((r) => (finish = r));
  const stdin = o.stdin ? new PassThrough() : null;
  const stdout = new PassThrough();
  const stderr = o.stderr ? new PassThrough() : null;
  const sizes: [number, number][] = [];
  const proc: ExecProcess = { stdin, stdout, stderr, resize: (c, r) => sizes.push([c, r]), exit };
  return {
    proc,
    sizes,
    stdin,
    stdout,
    stderr,
    done(code: number) {
      stdout.end();
      stderr?.end();
      finish(code);
    },
  };
}

function setup(protocol: string, io: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }, start: () => ExecProcess) {
  const { server, toServer, fromServer } = connection();
  let session: SpdySession | undefined;
  const handler = new SpdyExecHandler(protocol, expectedSpdyStreams(protocol, io), start, ['sh', '-c', 'x'], io.tty, () => session?.close());
  session = new SpdySession(server, (s) => handler.onStream(s));
  return new SpdyTestClient(toServer, fromServer);
}

test('the streams a client opens per protocol and options', () => {
  assert.deepEqual(expectedSpdyStreams('v4.channel.k8s.io', { stdin: false, stdout: true, stderr: true, tty: false }), ['error', 'stdout', 'stderr']);
  assert.deepEqual(expectedSpdyStreams('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: false, tty: true }), ['error', 'stdin', 'stdout', 'resize']);
  assert.deepEqual(expectedSpdyStreams('v2.channel.k8s.io', { stdin: true, stdout: true, stderr: false, tty: true }), ['error', 'stdin', 'stdout']);
});

test('SPDY exec v4: starts once all streams are open, copies stdin/stdout/stderr, ends with a Status, closes', async () => {
  const f = fakeProc({ stdin: true, stderr: true });
  let started = 0;
  const client = setup('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: false }, () => (started++, f.proc));
  const error = await client.open({ streamtype: 'error' });
  const stdin = await client.open({ streamtype: 'stdin' });
  const stdout = await client.open({ streamtype: 'stdout' });
  await client.waitFor('replies', () => client.replied(stdout));
  assert.equal(started, 0, 'stderr is still missing');
  const stderr = await client.open({ streamtype: 'stderr' });
  await client.waitFor('reply', () => client.replied(stderr));
  assert.equal(started, 1);

  let input = '';
  f.stdin!.on('data', (d: Buffer) => (input += d));
  const inputEnded = new Promise((r) => f.stdin!.once('end', r));
  client.send(stdin, 'abc');
  client.send(stdin, '', true);
  await inputEnded;
  assert.equal(input, 'abc');

  f.stdout.write('out');
  f.stderr!.write('err');
  f.done(3);
  assert.equal(await client.finished(stdout), 'out');
  assert.equal(await client.finished(stderr), 'err');
  const status = JSON.parse(await client.finished(error));
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
  await client.waitFor('goaway after the status', () => client.ended && client.frames[client.frames.length - 1].type === 'goaway');
});

test('SPDY exec v4 with a tty: stderr goes to stdout, resize messages reach the terminal, success Status', async () => {
  const f = fakeProc({ stdin: true, stderr: true });
  const client = setup('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: false, tty: true }, () => f.proc);
  const error = await client.open({ streamtype: 'error' });
  await client.open({ streamtype: 'stdin' });
  const stdout = await client.open({ streamtype: 'stdout' });
  const resize = await client.open({ streamtype: 'resize' });
  await client.waitFor('replies', () => client.replied(resize));
  client.send(resize, '{"Width":91,"Height":33}\n{"Width":100,');
  client.send(resize, '"Height":40}\n');
  await until('sizes', () => f.sizes.length === 2);
  assert.deepEqual(f.sizes, [[91, 33], [100, 40]]);
  f.stderr!.write('e');
  await client.waitFor('stderr on stdout', () => client.received(stdout).data === 'e');
  f.done(0);
  assert.deepEqual(JSON.parse(await client.finished(error)), { metadata: {}, status: 'Success' });
});

test('SPDY exec v2: the error stream carries plain text, and nothing on success', async () => {
  const f = fakeProc({ stdin: false, stderr: false });
  const client = setup('v2.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: false }, () => f.proc);
  const error = await client.open({ streamtype: 'error' });
  await client.open({ streamtype: 'stdout' });
  await client.waitFor('reply', () => client.replied(3));
  f.done(2);
  assert.match(await client.finished(error), /^command terminated with non-zero exit code: command 'sh -c x' exited with 2/);

  const g = fakeProc({ stdin: false, stderr: false });
  const c2 = setup('v2.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: false }, () => g.proc);
  const e2 = await c2.open({ streamtype: 'error' });
  await c2.open({ streamtype: 'stdout' });
  await c2.waitFor('reply', () => c2.replied(3));
  g.done(0);
  assert.equal(await c2.finished(e2), '');
});

test('SPDY exec: a runtime failure to start is a Status on the error stream', async () => {
  const client = setup('v4.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: false }, () => {
    throw new Error('container c of pod u is not running');
  });
  const error = await client.open({ streamtype: 'error' });
  await client.open({ streamtype: 'stdout' });
  const status = JSON.parse(await client.finished(error));
  assert.equal(status.message, 'container c of pod u is not running');
  assert.equal(status.code, 500);
});

test('SPDY exec: the client going away drops the command\'s output (so the runtime ends it)', async () => {
  const f = fakeProc({ stdin: true, stderr: false });
  const { server, toServer, fromServer } = connection();
  let session: SpdySession | undefined;
  const handler = new SpdyExecHandler('v4.channel.k8s.io', ['error', 'stdin', 'stdout'], () => f.proc, ['sleep', '100'], false, () => session?.close());
  session = new SpdySession(server, (s) => handler.onStream(s));
  const client = new SpdyTestClient(toServer, fromServer);
  await client.open({ streamtype: 'error' });
  await client.open({ streamtype: 'stdin' });
  const stdout = await client.open({ streamtype: 'stdout' });
  await client.waitFor('reply', () => client.replied(stdout));
  const stdoutGone = new Promise((r) => f.stdout.once('close', r));
  const stdinEnded = new Promise((r) => f.stdin!.once('finish', r));
  toServer.end();
  await stdoutGone;
  await stdinEnded;
  assert.equal(f.stdout.readableEnded, false);
});
