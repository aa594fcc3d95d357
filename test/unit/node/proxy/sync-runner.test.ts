import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncRunner } from '../../../../src/node/proxy/sync-runner.js';

// One run at a time; requests during a run fold into exactly one more; failures back off.

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('requests during a run are coalesced into one run right after it', async () => {
  const gates: ReturnType<typeof deferred>[] = [];
  let active = 0;
  let maxActive = 0;
  const runner = new SyncRunner(async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    const g = deferred();
    gates.push(g);
    await g.promise;
    active--;
  });
  runner.request();
  assert.equal(gates.length, 1, 'the first request runs at once');
  for (let i = 0; i < 10; i++) runner.request();
  assert.equal(gates.length, 1, 'no second run while the first is in flight');
  gates[0].resolve();
  await new Promise((r) => setImmediate(r));
  assert.equal(gates.length, 2, 'the ten requests made one more run');
  gates[1].resolve();
  await runner.idle();
  assert.equal(gates.length, 2);
  assert.equal(maxActive, 1);
});

test('a failure is reported and retried after the backoff; requests meanwhile wait for it', async () => {
  let calls = 0;
  const errors: [string, number][] = [];
  const retried = deferred();
  const runner = new SyncRunner(
    async () => {
      calls++;
      if (calls === 1) throw new Error('nft: no such file');
      retried.resolve();
    },
    { minBackoffMs: 20, onError: (e, ms) => errors.push([e.message, ms]) },
  );
  runner.request();
  await runner.idle();
  assert.deepEqual(errors, [['nft: no such file', 20]]);
  runner.request();
  await runner.idle();
  assert.equal(calls, 1, 'a request during the backoff does not run before it ends');
  await retried.promise;
  assert.equal(calls, 2);
  await runner.stop();
});

test('backoff doubles per consecutive failure up to the maximum, and stop cancels the retry', async () => {
  const delays: number[] = [];
  let failed = deferred();
  const runner = new SyncRunner(
    async () => {
      throw new Error('boom');
    },
    {
      minBackoffMs: 1,
      maxBackoffMs: 4,
      onError: (_e, ms) => {
        delays.push(ms);
        if (delays.length === 5) failed.resolve();
      },
    },
  );
  runner.request();
  await failed.promise;
  await runner.stop();
  assert.deepEqual(delays, [1, 2, 4, 4, 4]);
  failed = deferred();
  runner.request();
  await runner.idle();
  assert.equal(delays.length, 5, 'a stopped runner runs nothing');
});
