import type { KObject, Printer, TableColumn } from '../types.js';
import { humanDuration, timestampMs } from './age.js';
import { NAME_COLUMN } from './columns.js';
import { DOC } from './descriptions.js';
import { goJson, type Json } from './format.js';

// The apiextensions-apiserver table convertor (pkg/registry/customresource/tableconvertor):
// a Name column, then one column per additionalPrinterColumn, filled by JSONPath.

/** One CRD additionalPrinterColumns entry. */
export interface CrdColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** serveDefaultColumnsIfEmpty: a CRD without columns shows its age. */
const DEFAULT_COLUMNS: CrdColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: DOC.metaCreationTimestamp }];

type Step = { field: string } | { index: number };

/** The simple JSONPaths CRDs allow: `.a.b`, `.a[0].b`. Anything else finds nothing. */
function parsePath(path: string): Step[] | undefined {
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]/y;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    const m = re.exec(path);
    if (!m) return undefined;
    steps.push(m[1] !== undefined ? { field: m[1] } : { index: Number(m[2]) });
    pos = re.lastIndex;
  }
  return steps;
}

/** The value at the path, or `undefined` when the path finds nothing (upstream then prints nil). */
function find(obj: unknown, steps: Step[]): unknown {
  let cur: unknown = obj;
  for (const step of steps) {
    if ('field' in step) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(step.field in cur)) return undefined;
      cur = (cur as Json)[step.field];
    } else {
      if (!Array.isArray(cur) || step.index >= cur.length) return undefined;
      cur = cur[step.index];
    }
  }
  return cur;
}

/** JSONPath.PrintResults of one value: objects and arrays as Go JSON, scalars as fmt.Print. */
function printResult(value: unknown): string {
  if (value === null) return '<no value>'; // text/template's printableValue of a nil interface
  if (typeof value === 'object') return goJson(value);
  return String(value);
}

/** cellForJSONValue: typed cells; dates are rendered as ages on the server. */
function cell(type: CrdColumn['type'], value: unknown, now: number): unknown {
  if (value === undefined) return null;
  if (type === 'string') return printResult(value);
  if (value === null) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (Number.isNaN(Date.parse(value))) return '<invalid>';
      const ms = timestampMs(value);
      return ms === undefined ? '<unknown>' : humanDuration(now - ms);
    }
  }
  return null;
}

/** A printer for a custom resource with the given additionalPrinterColumns. */
export function crdPrinter(crdColumns: CrdColumn[]): Printer {
  const defs = crdColumns.length > 0 ? crdColumns : DEFAULT_COLUMNS;
  const paths = defs.map((c) => parsePath(c.jsonPath));
  const columns: TableColumn[] = [
    NAME_COLUMN,
    ...defs.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns,
    cells(obj: KObject, now: number) {
      return [obj.metadata.name ?? '', ...defs.map((c, i) => (paths[i] ? cell(c.type, find(obj, paths[i]!), now) : null))];
    },
  };
}
