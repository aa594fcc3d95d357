import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ExecProcess } from '../../../../src/node/kubelet/cri.js';
import { CHANNEL, expectedSpdyStreams, selectProtocol, serveWebSocketExec, SpdyExecHandler } from '../../../../src/node/kubelet/remotecommand.js';
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

/** Runs one WebSocket exec whose command prints `hi` and exits 0; returns the frames the client saw. */
async function webSocketFrames(protocol: string, io = { stdin: false, stdout: true, stderr: true, tty: false }): Promise<Buffer[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => selectProtocol(p) ?? false });
  try {
    wss.on('connection', (ws) => {
      const f = fakeProc({ stdin: false, stderr: true });
      serveWebSocketExec(ws, () => f.proc, ['echo', 'hi'], io);
      setImmediate(() => {
        f.stdout.write('hi\n');
        f.done(0);
      });
    });
    await new Promise((r) => wss.once('listening', r));
    const { port } = wss.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, [protocol]);
    const frames: Buffer[] = [];
    client.on('message', (m: Buffer) => frames.push(m));
    await new Promise((r) => client.once('close', r));
    return frames;
  } finally {
    await new Promise((r) => wss.close(r));
  }
}

test('WebSocket exec v4: an empty frame says the streams are open, before any output; a Status ends it', async () => {
  const frames = await webSocketFrames('v4.channel.k8s.io');
  assert.deepEqual(frames[0], Buffer.from([CHANNEL.stdout]));
  assert.deepEqual(frames[1], Buffer.from([CHANNEL.stdout, ...Buffer.from('hi\n')]));
  assert.equal(frames.at(-1)![0], CHANNEL.error);
  assert.deepEqual(JSON.parse(frames.at(-1)!.subarray(1).toString()), { metadata: {}, status: 'Success' });
});

test('WebSocket exec v4 without stdout: the empty frame goes to stderr, the lowest channel written, as upstream', async () => {
  const frames = await webSocketFrames('v4.channel.k8s.io', { stdin: false, stdout: false, stderr: true, tty: false });
  assert.deepEqual(frames[0], Buffer.from([CHANNEL.stderr]));
});

test('WebSocket exec v5 (client-go): no empty frame, which could beat the client\'s stream set-up', async () => {
  const frames = await webSocketFrames('v5.channel.k8s.io');
  assert.deepEqual(frames[0], Buffer.from([CHANNEL.stdout, ...Buffer.from('hi\n')]));
  assert.ok(frames.every((f) => f.length > 1), 'every frame carries data');
});
