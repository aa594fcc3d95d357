// Runs every compiled benchmark (dist/bench/*.bench.js) one after another.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = join('dist', 'bench');
const only = process.argv[2];
let failed = false;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
