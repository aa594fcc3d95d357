import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GeneratedDocument } from './documents.js';

/** What the runtime reads first: where each document lives and its content hash. */
export interface OpenAPIIndex {
  documents: Record<string, { file: string; hash: string }>;
  /** `group/version/Kind` → the document and component that describe it. */
  kinds: Record<string, { document: string; schema: string }>;
}

export const INDEX_FILE = 'index.json';

export function documentFileName(gvPath: string): string {
  return `${gvPath.replace(/\//g, '__')}.json`;
}

/** Writes documents and index; each file is replaced atomically so readers never see half a file. */
export function writeDocuments(dir: string, docs: GeneratedDocument[]): OpenAPIIndex {
  mkdirSync(dir, { recursive: true });
  const index: OpenAPIIndex = { documents: {}, kinds: {} };
  for (const doc of docs) {
    const file = documentFileName(doc.gvPath);
    writeAtomic(path.join(dir, file), doc.body);
    index.documents[doc.gvPath] = { file, hash: doc.hash };
    for (const [gvk, schema] of Object.entries(doc.kinds)) index.kinds[gvk] = { document: doc.gvPath, schema };
  }
  writeAtomic(path.join(dir, INDEX_FILE), Buffer.from(JSON.stringify(index, null, 1)));
  return index;
}

function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}
