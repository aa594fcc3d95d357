import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, UsageError } from '../../../src/cli/args.js';
import { publishedLines } from '../../../src/cli/commands/status.js';
import { isHostPortsCommandLine } from '../../../src/cli/host-port-publisher.js';

test('up --publish-address takes one IPv4 address and writes it canonically', () => {
  assert.deepEqual(parseCommandLine(['up', '--publish-address', '192.168.1.20']).flags, { name: 'skiff', publishAddress: '192.168.1.20' });
  assert.deepEqual(parseCommandLine(['up', '--publish-address=127.0.0.002']).flags, { name: 'skiff', publishAddress: '127.0.0.2' });
  for (const bad of ['0.0.0.0', '10.0.0.0/8', '256.1.1.1', 'localhost', '::1', '']) {
    assert.throws(() => parseCommandLine(['up', '--publish-address', bad]), (e: unknown) => e instanceof UsageError && /--publish-address/.test(e.message), bad);
  }
  assert.throws(() => parseCommandLine(['status', '--publish-address', '127.0.0.2']), /unknown flag --publish-address/);
});

test('publisher and forwarder are recognised by entry point, cluster and home, nothing looser', () => {
  const argv = ['/usr/bin/node', '/x/dist/src/node/network/host-ports/main.js', '--cluster', 'dev', '--home', '/h'];
  const re = /[/\\]host-ports[/\\]main\.js$/;
  assert.equal(isHostPortsCommandLine(argv, re, '/h', 'dev'), true);
  assert.equal(isHostPortsCommandLine(argv, re, '/h', 'de'), false);
  assert.equal(isHostPortsCommandLine(argv, re, '/other', 'dev'), false);
  assert.equal(isHostPortsCommandLine([...argv, '--extra'], re, '/h', 'dev'), false);
  assert.equal(isHostPortsCommandLine(argv, /[/\\]host-ports[/\\]forwarder\.js$/, '/h', 'dev'), false);
});

test('status lists what is published and what is not, with the reason', () => {
  assert.deepEqual(publishedLines(undefined, false), ['  services: not published (the host-port publisher is not running)']);
  assert.deepEqual(publishedLines({ pid: 1, updated: '', published: [], unpublished: [] }, true), ['  services: none published']);
  assert.deepEqual(
    publishedLines(
      {
        pid: 1,
        updated: '',
        published: [{ address: '127.0.0.1', port: 30271, service: 'default/echo', servicePort: '8080', serviceType: 'NodePort', target: '172.18.0.2:30271' }],
        unpublished: [{ address: '127.0.10.1', port: 80, service: 'default/web', servicePort: 'http', reason: 'listen tcp 127.0.10.1:80: bind: address already in use' }],
      },
      true,
    ),
    [
      '  services:',
      '    127.0.0.1:30271  default/echo:8080 (NodePort)',
      '    127.0.10.1:80  default/web:http NOT PUBLISHED: listen tcp 127.0.10.1:80: bind: address already in use',
    ],
  );
});
