// Build step: writes the OpenAPI v3 documents the apiserver serves under /openapi/v3 to
// dist/openapi/, generated from the model libraries' declarations for the kinds in
// src/api/kinds.ts. Run after tsc (npm run build); the output is never committed.

import { fileURLToPath } from 'node:url';
import { KINDS } from '../src/api/kinds.js';
import { generateDocuments } from '../src/api/openapi/gen/documents.js';
import { writeDocuments } from '../src/api/openapi/gen/write.js';

// Compiled to dist/scripts/gen-openapi.js: the repository is two levels up, dist one.
const outDir = fileURLToPath(new URL('../openapi/', import.meta.url));
const nodeModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));

const started = Date.now();
try {
  const docs = generateDocuments({ kinds: KINDS, nodeModules });
  writeDocuments(outDir, docs);
  const bytes = docs.reduce((n, d) => n + d.body.length, 0);
  console.log(`gen-openapi: wrote ${docs.length} documents (${(bytes / 1024).toFixed(0)} KiB) to ${outDir} in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`gen-openapi: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
