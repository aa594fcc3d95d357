import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { podAPIEndpoint } from '../../../../src/cli/commands/serve.js';

// Where the kubernetes Service's endpoints point when `skiff serve` starts the API server.

test('the pod endpoint follows the cluster record: node 1 relay with nodes, none without', () => {
  const record = (nodes: number) => ({ name: 'c1', port: 40000, created: '2026-01-01T00:00:00Z', nodes, egress: 'all' });
  assert.deepEqual(podAPIEndpoint(record(2)), { ip: '172.18.0.2', port: 6443 });
  assert.equal(podAPIEndpoint(record(0)), undefined);
});

/** The bundled modules `skiff serve` loads: the CLI entry, its serve chunk and what they import. */
function serveModules(): Map<string, string> {
  const programs = fileURLToPath(new URL('../../../../programs/', import.meta.url));
  const texts = new Map<string, string>();
  const visit = (file: string) => {
    if (texts.has(file)) return;
    const text = readFileSync(file, 'utf8');
    texts.set(file, text);
    for (const m of text.matchAll(/\bfrom\s*"(\.[^"]+)"|import\("(\.[^"]*\/serve-[^"]+)"\)/g)) visit(join(dirname(file), m[1] ?? m[2]));
  };
  visit(join(programs, 'cli', 'main.js'));
  return texts;
}

test('the control plane bundle is Latin-1 throughout, so V8 holds its source at one byte a character', () => {
  const modules = serveModules();
  assert.ok([...modules.keys()].some((f) => /[/]serve-[^/]+\.js$/.test(f)), 'the serve chunk is among the modules');
  for (const [file, text] of modules) {
    const wide = /[^\u0000-\u00ff]/.exec(text);
    assert.equal(wide, null, `${file}: ${JSON.stringify(wide?.[0])} at ${wide?.index}`);
  }
});
