import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, UsageError } from '../../../src/cli/args.js';

test('each command defaults to the cluster named skiff', () => {
  for (const command of ['up', 'stop', 'down', 'status', 'kubeconfig'] as const) {
    assert.deepEqual(parseCommandLine([command]), { command, flags: { name: 'skiff' } });
  }
});

test('up takes --name, --port, --nodes and --egress, as "--flag value" or "--flag=value"', () => {
  assert.deepEqual(parseCommandLine(['up', '--name', 'dev', '--port=7443', '--nodes', '3', '--egress=10.0.0.0/8,192.0.2.7']), {
    command: 'up',
    flags: { name: 'dev', port: 7443, nodes: 3, egress: '10.0.0.0/8,192.0.2.7' },
  });
  assert.deepEqual(parseCommandLine(['up', '--egress', 'none']).flags, { name: 'skiff', egress: 'none' });
});

test('the hidden serve command takes --name and --home', () => {
  assert.deepEqual(parseCommandLine(['serve', '--name', 'a', '--home', '/x']), { command: 'serve', flags: { name: 'a', home: '/x', controllerManagerArgs: [] } });
  assert.deepEqual(parseCommandLine(['serve', '--name', 'a', '--kube-controller-manager-arg=--horizontal-pod-autoscaler-tolerance=0.2']).flags, {
    name: 'a',
    controllerManagerArgs: ['--horizontal-pod-autoscaler-tolerance=0.2'],
  });
});

test('up --kube-controller-manager-arg takes k3s\'s NAME=VALUE, repeated, with or without dashes', () => {
  const argsOf = (argv: string[]) => (parseCommandLine(argv).flags as { controllerManagerArgs?: string[] }).controllerManagerArgs;
  assert.equal(argsOf(['up']), undefined);
  assert.deepEqual(
    argsOf([
      'up',
      '--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=5s',
      '--kube-controller-manager-arg',
      'horizontal-pod-autoscaler-downscale-stabilization=1m',
      '--kube-controller-manager-arg=--horizontal-pod-autoscaler-tolerance=0.2',
      '--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=2s',
    ]),
    [
      '--horizontal-pod-autoscaler-sync-period=5s',
      '--horizontal-pod-autoscaler-downscale-stabilization=1m',
      '--horizontal-pod-autoscaler-tolerance=0.2',
      '--horizontal-pod-autoscaler-sync-period=2s',
    ],
  );
});

test('help in any position', () => {
  assert.equal(parseCommandLine(['--help']).command, 'help');
  assert.equal(parseCommandLine(['help']).command, 'help');
  assert.equal(parseCommandLine(['up', '-h']).command, 'help');
});

const usageErrors: Array<[string[], RegExp]> = [
  [[], /no command given/],
  [['start'], /^skiff: unknown command "start"$/],
  [['up', '--bogus'], /^skiff up: unknown flag --bogus$/],
  [['stop', '--port', '1'], /^skiff stop: unknown flag --port$/],
  [['up', '--name'], /^skiff up: flag --name needs a value$/],
  [['up', '--name', '--port', '1'], /flag --name needs a value/],
  [['up', 'extra'], /unexpected argument "extra"/],
  [['up', '--name', 'a', '--name', 'b'], /--name given more than once/],
  [['up', '--name', 'Bad_Name'], /^skiff up: invalid cluster name "Bad_Name"/],
  [['up', '--name', '-a'], /invalid cluster name/],
  [['down', '--name', 'x'.repeat(41)], /invalid cluster name/],
  [['up', '--port', '0'], /invalid value "0" for --port: must be between 1 and 65535/],
  [['up', '--port', '70000'], /between 1 and 65535/],
  [['up', '--port', '12ab'], /must be an integer/],
  [['up', '--nodes', '-1'], /invalid value "-1" for --nodes/],
  [['up', '--egress', 'some'], /invalid value "some" for --egress/],
  [['up', '--egress', '10.0.0.0/33'], /for --egress/],
  [['up', '--egress', '300.1.1.1'], /for --egress/],
  [
    ['up', '--kube-controller-manager-arg=node-cidr-mask-size=24'],
    /^skiff up: invalid value for --kube-controller-manager-arg: unknown flag: --node-cidr-mask-size \(skiff's controller manager takes --horizontal-pod-autoscaler-sync-period, /,
  ],
  [
    ['up', '--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=soon'],
    /^skiff up: invalid value for --kube-controller-manager-arg: invalid argument "soon" for "--horizontal-pod-autoscaler-sync-period" flag: time: invalid duration "soon"$/,
  ],
  [['up', '--kube-controller-manager-arg'], /^skiff up: flag --kube-controller-manager-arg needs a value$/],
];

for (const [argv, message] of usageErrors) {
  test(`usage error: skiff ${argv.join(' ')}`, () => {
    assert.throws(() => parseCommandLine(argv), (err: unknown) => err instanceof UsageError && message.test(err.message));
  });
}

test('up --wait takes a Go duration, as kind does; 0 returns once the API answers', () => {
  const waitOf = (argv: string[]) => (parseCommandLine(argv).flags as { waitMs?: number }).waitMs;
  assert.equal(waitOf(['up', '--wait', '0']), 0);
  assert.equal(waitOf(['up', '--wait=0s']), 0);
  assert.equal(waitOf(['up', '--wait=500ms']), 500);
  assert.equal(waitOf(['up', '--wait', '2m']), 120_000);
  assert.equal(waitOf(['up', '--wait', '1m30s']), 90_000);
  assert.equal(waitOf(['up', '--wait', '1.5h']), 5_400_000);
  for (const bad of ['', '30', 'abc', '5x', '-1s', '1m 30s']) {
    assert.throws(
      () => parseCommandLine(['up', `--wait=${bad}`]),
      (err: unknown) => err instanceof UsageError && err.message === `skiff up: invalid value "${bad}" for --wait: must be a duration such as 30s, 2m or 1m30s (0 for no wait)`,
      bad,
    );
  }
  assert.throws(() => parseCommandLine(['down', '--wait', '1s']), /unknown flag --wait/);
});
