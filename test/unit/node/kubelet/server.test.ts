import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { WebSocket } from 'ws';
import type { KObject } from '../../../../src/api/types.js';
import { KubeletServer } from '../../../../src/node/kubelet/server.js';
import { FakeRuntime } from './fake-runtime.js';

function get(socketPath: string, path: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

test('kubelet.sock: log errors as upstream, exec over v5.channel.k8s.io with exit code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ksock-'));
  const socketPath = join(dir, 'kubelet.sock');
  const runtime = new FakeRuntime(() => Date.now());
  runtime.exec = () => {
    const stdout = new PassThrough();
    stdout.end('hi\n');
    return { stdin: null, stdout, stderr: null, resize: () => undefined, exit: Promise.resolve(3) };
  };
  const pods: KObject[] = [
    { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'c' }, { name: 'w' }] }, status: { containerStatuses: [{ name: 'c', state: { running: {} }, lastState: {} }, { name: 'w', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }] } },
  ];
  const server = new KubeletServer({
    socketPath,
    nodeName: 'n',
    runtime,
    clock: { now: () => Date.now() },
    lookup: { pod: (ns, name) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name), pods: () => pods },
    log: () => undefined,
  });
  await server.listen();
  try {
    assert.deepEqual(await get(socketPath, '/containerLogs/default/p/w'), { code: 400, body: 'container "w" in pod "p" is waiting to start: ContainerCreating' });
    assert.deepEqual(await get(socketPath, '/containerLogs/default/p/c?previous=true'), { code: 400, body: 'previous terminated container "c" in pod "p" not found' });
    assert.equal((await get(socketPath, '/containerLogs/default/nope/c')).code, 404);
    const summary = JSON.parse((await get(socketPath, '/stats/summary')).body);
    assert.equal(summary.pods[0].podRef.name, 'p');

    const ws = new WebSocket(`ws+unix://${socketPath}:/exec/default/p/c?command=sh&command=-c&command=exit%203&stdout=true`, ['v5.channel.k8s.io']);
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    const stdout = Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString();
    assert.equal(stdout, 'hi\n');
    const status = JSON.parse(frames.find((f) => f[0] === 3)!.subarray(1).toString());
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
