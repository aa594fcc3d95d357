import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podPrinter } from '../../../../src/api/printers/pod.js';
import { DAY, MINUTE, NOW, SECOND, ago, containers, obj } from './helpers.js';

// Expected cells from upstream TestPrintPod, TestPrintPodWithRestartableInitContainer and
// TestPrintPodwide (pkg/printers/internalversion/printers_test.go). Upstream leaves the
// creation timestamp unset, hence "<unknown>" ages.

function cells(pod: Record<string, unknown>, name = 'test'): unknown[] {
  return podPrinter.cells(obj({ name, ...(pod.metadata as object) }, { spec: pod.spec, status: pod.status }), NOW);
}

function short(pod: Record<string, unknown>, name = 'test'): unknown[] {
  return cells(pod, name).slice(0, 5);
}

const running = { running: {} };
const lastTerminated = (ms: number) => ({ terminated: { finishedAt: ago(ms) } });

test('pod columns are upstream pod columns', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
});

test('phase, container reasons and restarts', () => {
  const two = { containers: containers(2) };
  assert.deepEqual(
    short({ spec: two, status: { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }] } }, 'test1'),
    ['test1', '1/2', 'podPhase', '6', '<unknown>'],
  );
  assert.deepEqual(
    short({
      spec: two,
      status: {
        phase: 'podPhase',
        containerStatuses: [
          { ready: true, restartCount: 3, state: running },
          { restartCount: 3, state: { waiting: { reason: 'ContainerWaitingReason' } } },
        ],
      },
    }),
    ['test', '1/2', 'ContainerWaitingReason', '6', '<unknown>'],
  );
  // the first container's state wins over the later ones
  assert.deepEqual(
    short({
      spec: two,
      status: {
        phase: 'podPhase',
        containerStatuses: [
          { restartCount: 3, state: { waiting: { reason: 'ContainerWaitingReason' } } },
          { restartCount: 3, state: { terminated: { reason: 'ContainerTerminatedReason' } } },
        ],
      },
    }),
    ['test', '0/2', 'ContainerWaitingReason', '6', '<unknown>'],
  );
  assert.deepEqual(
    short({ spec: two, status: { reason: 'podReason', phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { ready: true, restartCount: 3 }] } }),
    ['test', '1/2', 'podReason', '6', '<unknown>'],
  );
});

test('a completed container next to a running one reads NotReady or Running', () => {
  const status = {
    phase: 'Running',
    containerStatuses: [
      { ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      { ready: true, restartCount: 3, state: running },
    ],
  };
  assert.deepEqual(short({ spec: { containers: containers(2) }, status }), ['test', '1/2', 'NotReady', '6', '<unknown>']);
  assert.deepEqual(short({ spec: { containers: containers(2) }, status: { ...status, conditions: [{ type: 'Ready', status: 'True' }] } }), [
    'test',
    '1/2',
    'Running',
    '6',
    '<unknown>',
  ]);
});

test('init containers: Init:i/n and restarts with the last restart age', () => {
  assert.deepEqual(
    short({
      spec: { initContainers: containers(1), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [{ ready: false, restartCount: 3, state: running, lastState: lastTerminated(10 * SECOND) }],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
      },
    }),
    ['test', '0/1', 'Init:0/1', '3 (10s ago)', '<unknown>'],
  );
  assert.deepEqual(
    short({
      spec: { initContainers: containers(2), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [
          { ready: false, restartCount: 2, state: { terminated: {} }, lastState: lastTerminated(2 * MINUTE) },
          { ready: false, restartCount: 3, state: running, lastState: lastTerminated(10 * SECOND) },
        ],
        containerStatuses: [{ ready: false, state: { waiting: {} } }],
      },
    }),
    ['test', '0/1', 'Init:1/2', '5 (10s ago)', '<unknown>'],
  );
  // initialized: only the app containers' restarts count
  assert.deepEqual(
    short({
      spec: { initContainers: containers(1), containers: containers(1) },
      status: {
        phase: 'Running',
        initContainerStatuses: [{ ready: false, restartCount: 2, state: { terminated: {} }, lastState: lastTerminated(2 * MINUTE) }],
        containerStatuses: [{ ready: false, restartCount: 4, state: running, lastState: lastTerminated(20 * SECOND) }],
      },
    }),
    ['test', '0/1', 'Running', '4 (20s ago)', '<unknown>'],
  );
});

test('init container failures and waiting reasons', () => {
  const spec = { initContainers: containers(1), containers: containers(1) };
  const withInit = (cs: Record<string, unknown>) => short({ spec, status: { phase: 'Pending', initContainerStatuses: [cs] } })[2];
  assert.equal(withInit({ state: { terminated: { exitCode: 1, reason: 'Error' } } }), 'Init:Error');
  assert.equal(withInit({ state: { terminated: { exitCode: 2 } } }), 'Init:ExitCode:2');
  assert.equal(withInit({ state: { terminated: { exitCode: 137, signal: 9 } } }), 'Init:Signal:9');
  assert.equal(withInit({ state: { waiting: { reason: 'CrashLoopBackOff' } } }), 'Init:CrashLoopBackOff');
  assert.equal(withInit({ state: { waiting: { reason: 'PodInitializing' } } }), 'Init:0/1');
});

test('restart ages pick the latest termination', () => {
  assert.deepEqual(
    short({ spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 3, state: running, lastState: lastTerminated(5 * DAY) }] } }),
    ['test', '1/1', 'Running', '3 (5d ago)', '<unknown>'],
  );
  assert.deepEqual(
    short({
      spec: { containers: containers(2) },
      status: {
        phase: 'Running',
        containerStatuses: [
          { ready: true, restartCount: 6, state: running, lastState: lastTerminated(5 * DAY) },
          { ready: true, restartCount: 3, state: running, lastState: lastTerminated(20 * DAY) },
        ],
      },
    }),
    ['test', '2/2', 'Running', '9 (5d ago)', '<unknown>'],
  );
});

test('CrashLoopBackOff, SchedulingGated, Completed and Error', () => {
  assert.equal(
    short({ spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } })[2],
    'CrashLoopBackOff',
  );
  assert.deepEqual(
    short({ spec: { containers: containers(2) }, status: { phase: 'podPhase', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }),
    ['test', '0/2', 'SchedulingGated', '0', '<unknown>'],
  );
  assert.deepEqual(
    short({ spec: { containers: containers(1) }, status: { phase: 'Succeeded', containerStatuses: [{ ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } }] } }),
    ['test', '0/1', 'Completed', '0', '<unknown>'],
  );
  assert.deepEqual(
    short({ spec: { containers: containers(1) }, status: { phase: 'Failed', containerStatuses: [{ ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } }] } }),
    ['test', '0/1', 'Error', '0', '<unknown>'],
  );
});

test('deletion: Terminating unless terminal, Unknown for pods of a lost node', () => {
  const metadata = { deletionTimestamp: ago(10 * SECOND) };
  assert.equal(
    short({ metadata, spec: { containers: containers(1) }, status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { reason: 'Completed', exitCode: 0 } } }] } })[2],
    'Completed',
  );
  assert.equal(short({ metadata, spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ state: running }] } })[2], 'Terminating');
  assert.equal(short({ metadata, spec: { containers: containers(1) }, status: { phase: 'Pending' } })[2], 'Terminating');
  assert.equal(short({ metadata, spec: { containers: containers(1) }, status: { phase: 'Running', reason: 'NodeLost' } })[2], 'Unknown');
  assert.equal(short({ spec: { containers: containers(1) }, status: { phase: 'Running', reason: 'NodeLost' } })[2], 'NodeLost');
});

test('restartable (sidecar) init containers count toward Ready', () => {
  const spec = {
    initContainers: [
      { name: 'restartable-init-1', restartPolicy: 'Always' },
      { name: 'restartable-init-2', restartPolicy: 'Always' },
    ],
    containers: containers(1),
  };
  assert.deepEqual(
    short({
      spec,
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'restartable-init-1', ready: false, restartCount: 3, state: running, started: false, lastState: lastTerminated(10 * SECOND) },
          { name: 'restartable-init-2', ready: false, state: { waiting: {} }, started: false },
        ],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
        conditions: [{ type: 'Initialized', status: 'False' }],
      },
    }),
    ['test', '0/3', 'Init:0/2', '3 (10s ago)', '<unknown>'],
  );
  assert.deepEqual(
    short({
      spec,
      status: {
        phase: 'Running',
        initContainerStatuses: [
          { name: 'restartable-init-1', ready: false, restartCount: 3, state: running, started: true, lastState: lastTerminated(10 * SECOND) },
          { name: 'restartable-init-2', ready: false, state: running, started: true },
        ],
        containerStatuses: [{ ready: true, restartCount: 4, state: running, lastState: lastTerminated(20 * SECOND) }],
        conditions: [{ type: 'Initialized', status: 'True' }],
      },
    }),
    ['test', '1/3', 'Running', '7 (10s ago)', '<unknown>'],
  );
  // statuses for containers the spec does not have
  assert.deepEqual(
    short({
      spec: {
        initContainers: [{ name: 'init1', image: 'initimage' }, { name: 'sidecar1', image: 'sidecarimage', restartPolicy: 'Always' }],
        containers: [{ name: 'container1', image: 'containerimage' }],
      },
      status: {
        phase: 'Running',
        initContainerStatuses: [{ name: 'initinvalid' }, { name: 'init1' }, { name: 'sidecar1' }],
        containerStatuses: [{ name: 'containerinvalid' }, { name: 'container1' }],
      },
    }),
    ['test', '0/2', 'Init:0/2', '0', '<unknown>'],
  );
});

test('wide columns: IP, node, nominated node, readiness gates', () => {
  const gates = { readinessGates: [{ conditionType: 'condition1' }, { conditionType: 'condition2' }, { conditionType: 'condition3' }] };
  const status = {
    conditions: [
      { type: 'condition1', status: 'False' },
      { type: 'condition2', status: 'True' },
    ],
    phase: 'podPhase',
    podIPs: [{ ip: '1.1.1.1' }, { ip: '2001:db8::' }],
    containerStatuses: [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }],
    nominatedNodeName: 'node1',
  };
  assert.deepEqual(cells({ spec: { containers: containers(2), nodeName: 'test1', ...gates }, status }, 'test1'), [
    'test1',
    '1/2',
    'podPhase',
    '6',
    '<unknown>',
    '1.1.1.1',
    'test1',
    'node1',
    '1/3',
  ]);
  assert.deepEqual(cells({ spec: { containers: containers(2) }, status: { phase: 'podPhase' } }, 'test2').slice(5), ['<none>', '<none>', '<none>', '<none>']);
  // a v1 object that only has podIP
  assert.equal(cells({ spec: { containers: containers(1) }, status: { podIP: '10.0.0.7' } })[5], '10.0.0.7');
});

test('age is rendered from creationTimestamp', () => {
  const pod = obj({ name: 'p', creationTimestamp: ago(5 * MINUTE + 10 * SECOND) }, { spec: { containers: containers(1) }, status: { phase: 'Pending' } });
  assert.equal(podPrinter.cells(pod, NOW)[4], '5m10s');
});
