import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Imports point one way (ARCHITECTURE.md, Layers): cli on top wires processes together; then
// apiserver, controllers, scheduler, node and addons side by side, none importing another; then
// client; then api. storage serves only the apiserver. cluster/ (constants, home paths, IPv4)
// and the files directly in src/ (log.ts) are neutral: every layer may import them, and they
// import nothing but each other. images/ sits under the node agent and the add-ons.

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Folders of src/ that any module may import; they import only each other. */
const NEUTRAL = ['cluster', ''];
const SIDE = ['apiserver', 'controllers', 'scheduler', 'node', 'addons'];
const BELOW_SIDE = ['images', 'client', 'api'];

/** For each top-level folder of src/, the other folders it may import (besides NEUTRAL). */
const ALLOWED: Record<string, readonly string[]> = {
  cli: [...SIDE, ...BELOW_SIDE, 'storage'],
  apiserver: [...BELOW_SIDE, 'storage'],
  controllers: BELOW_SIDE,
  scheduler: BELOW_SIDE,
  node: BELOW_SIDE,
  addons: BELOW_SIDE,
  images: ['client', 'api'],
  client: ['api'],
  api: [],
  // The store keeps objects of the api's types (a type-only import today).
  storage: ['api'],
  cluster: [],
  '': [],
};

/** `src/`-relative path of each module (posix separators) → its relative import specifiers. */
type ImportGraph = Map<string, string[]>;

function topOf(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every import that breaks the order, as `from -> to` (paths relative to src/). */
function violations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, specs] of graph) {
    const top = topOf(from);
    const allowed = ALLOWED[top];
    if (!allowed) {
      out.push(`${from}: src/${top}/ is in no layer; add it to ALLOWED`);
      continue;
    }
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(from), spec));
      if (to.startsWith('../')) continue;
      const target = topOf(to);
      if (target === top || NEUTRAL.includes(target) || allowed.includes(target)) continue;
      out.push(`${from} -> ${to}`);
    }
  }
  return out.sort();
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** import, import type, export … from and import() specifiers of every module in src/. */
function importGraph(src: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(src)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    graph.set(relative(src, file).split(sep).join('/'), info.importedFiles.map((f) => f.fileName));
  }
  return graph;
}

test('no module in src/ imports against the layer order', () => {
  const graph = importGraph(SRC);
  assert.ok(graph.size > 100, `found only ${graph.size} modules under ${SRC}`);
  assert.deepEqual(violations(graph), []);
});

test('upward, sideways and unplaced imports are reported; downward and neutral ones are not', () => {
  const graph: ImportGraph = new Map([
    ['cli/commands/serve.ts', ['../../apiserver/server.js', '../../controllers/manager.js', '../../scheduler/index.js']],
    ['apiserver/server.ts', ['../controllers/manager.js', '../storage/store.js', '../cluster/constants.js', '../log.js', 'node:fs']],
    ['scheduler/scheduler.ts', ['../controllers/loop.js', '../client/loop.js']],
    ['node/agent.ts', ['../cli/args.js', '../cluster/home.js']],
    ['client/informer.ts', ['../api/types.js', '../storage/store.js']],
    ['api/taints.ts', ['../client/client.js']],
    ['cluster/home.ts', ['./constants.js', '../api/types.js']],
    ['widgets/x.ts', ['../api/types.js']],
  ]);
  assert.deepEqual(violations(graph), [
    'api/taints.ts -> client/client.js',
    'apiserver/server.ts -> controllers/manager.js',
    'client/informer.ts -> storage/store.js',
    'cluster/home.ts -> api/types.js',
    'node/agent.ts -> cli/args.js',
    'scheduler/scheduler.ts -> controllers/loop.js',
    'widgets/x.ts: src/widgets/ is in no layer; add it to ALLOWED',
  ]);
});

test('the parser sees import type, export from and dynamic import, not comments', () => {
  const info = ts.preProcessFile(
    [
      "import type { A } from './a.js';",
      "export { B } from './b.js';",
      "export * from './c.js';",
      "const d = await import('./d.js');",
      "// import { e } from './e.js';",
    ].join('\n'),
    true,
    true,
  );
  assert.deepEqual(
    info.importedFiles.map((f) => f.fileName),
    ['./a.js', './b.js', './c.js', './d.js'],
  );
});
