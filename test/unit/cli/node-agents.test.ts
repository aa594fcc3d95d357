import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { agentArgs, findAgents, isAgentProcess, nodeName } from '../../../src/cli/node-agents.js';

test('node names and agent command lines name exactly one node of one cluster', async () => {
  assert.equal(nodeName('skiff', 0), 'skiff-node-1');
  const args = agentArgs('/h', 'c1', 1);
  assert.deepEqual(args.slice(1), ['--cluster', 'c1', '--home', '/h', '--node', 'c1-node-2', '--index', '1']);
  // A stand-in process with the agent's command line (it only sleeps) is recognised, and only for its own node.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '/x/node/main.js', ...args.slice(1)]);
  try {
    await new Promise((r) => child.once('spawn', r));
    assert.equal(isAgentProcess(child.pid!, '/h', 'c1', 'c1-node-2'), true);
    assert.equal(isAgentProcess(child.pid!, '/h', 'c1', 'c1-node-1'), false);
    assert.equal(isAgentProcess(child.pid!, '/other', 'c1', 'c1-node-2'), false);
    assert.deepEqual(findAgents('/h', 'c1'), [{ pid: child.pid, node: 'c1-node-2' }]);
    assert.deepEqual(findAgents('/h', 'c2'), []);
  } finally {
    child.kill('SIGKILL');
  }
});
