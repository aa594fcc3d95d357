import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDaemonSet } from '../../../../src/api/defaults/daemonset.js';
import { daemonSetStrategy, TEMPLATE_GENERATION_ANNOTATION } from '../../../../src/api/strategy/daemonset.js';
import type { KObject } from '../../../../src/api/types.js';

const ds = (image: string, annotations?: Record<string, string>): KObject => ({
  metadata: { name: 'agent', ...(annotations ? { annotations } : {}) },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image }] } } },
  status: { numberReady: 3 },
});

test('a new DaemonSet starts at template generation 1 with an empty status', () => {
  const d = ds('busybox');
  daemonSetStrategy.prepareForCreate!(d);
  assert.equal(d.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
  assert.deepEqual(d.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
});

test('the template generation counts template changes only, comparing defaulted templates', () => {
  const old = ds('busybox', { [TEMPLATE_GENERATION_ANNOTATION]: '4' });
  defaultDaemonSet(old);
  const same = ds('busybox');
  (same.spec as any).minReadySeconds = 5;
  daemonSetStrategy.prepareForUpdate!(same, old);
  assert.equal(same.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '4');
  const changed = ds('nginx');
  daemonSetStrategy.prepareForUpdate!(changed, old);
  assert.equal(changed.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '5');
});
