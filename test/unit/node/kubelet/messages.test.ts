import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, msg } from '../../../../src/node/kubelet/messages.js';

test("durations as Go's time.Duration prints them, truncated to milliseconds", () => {
  assert.equal(goDuration(0), '0ms');
  assert.equal(goDuration(523.9), '523ms');
  assert.equal(goDuration(2000), '2s');
  assert.equal(goDuration(2100), '2.1s');
  assert.equal(goDuration(2134), '2.134s');
  assert.equal(goDuration(62_500), '1m2.5s');
  assert.equal(goDuration(3_600_000 + 60_000 + 1000), '1h1m1s');
});

test("the kubelet's Pulled message for a pull", () => {
  assert.equal(msg.pulledNew('nginx:1.27', 2100, 2100, 72_000_000), 'Successfully pulled image "nginx:1.27" in 2.1s (2.1s including waiting). Image size: 72000000 bytes.');
});
