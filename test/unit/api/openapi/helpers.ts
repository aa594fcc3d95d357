import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KINDS } from '../../../../src/api/kinds.js';
import { generateDocuments } from '../../../../src/api/openapi/gen/documents.js';
import { writeDocuments } from '../../../../src/api/openapi/gen/write.js';

// Compiled to dist/test/unit/api/openapi/: the repository root is five levels up.
export const NODE_MODULES = fileURLToPath(new URL('../../../../../node_modules/', import.meta.url));
export const OPENAPI_DIR = fileURLToPath(new URL('../../../../openapi/', import.meta.url));

/** The runtime reads dist/openapi; `npm run build` writes it, a bare `tsc` does not. */
export function ensureGenerated(): void {
  if (!existsSync(`${OPENAPI_DIR}/index.json`)) writeDocuments(OPENAPI_DIR, generateDocuments({ kinds: KINDS, nodeModules: NODE_MODULES }));
}
