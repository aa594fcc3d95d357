// Runs every compiled test file with node's test runner: unit tests first (fast), then the
// end-to-end tests, which start real clusters and so run one file at a time.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv[2]; // optional: 'unit' or 'e2e'
let failed = false;
for (const [kind, concurrency] of [['unit', 2], ['e2e', 1]]) {
  if (only && only !== kind) continue;
  const files = find(join('dist', 'test', kind));
  if (files.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
