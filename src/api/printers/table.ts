import type { KObject, Printer } from '../types.js';

// The meta.k8s.io/v1 Table body the apiserver returns for `Accept: ...;as=Table`
// (endpoints/handlers/response.go asTable). The caller sets metadata.resourceVersion/continue.

export interface TableOptions {
  /** What each row carries: nothing, the full object, or (the default) PartialObjectMetadata. */
  includeObject: 'None' | 'Object' | 'Metadata';
  /** Omit columnDefinitions, as upstream does for every watch event after the first. */
  noHeaders?: boolean;
}

export interface TableBody {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: Record<string, unknown>;
  columnDefinitions?: Printer['columns'];
  rows: { cells: unknown[]; object?: unknown }[];
}

/** meta.AsPartialObjectMetadata, with managedFields left out to keep rows small. */
export function partialObjectMetadata(obj: KObject): object {
  const { managedFields: _managedFields, ...metadata } = obj.metadata;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

export function toTable(printer: Printer, objs: KObject[], now: number, opts: TableOptions): TableBody {
  const rows = objs.map((obj) => {
    const row: { cells: unknown[]; object?: unknown } = { cells: printer.cells(obj, now) };
    if (opts.includeObject === 'Object') row.object = obj;
    else if (opts.includeObject === 'Metadata') row.object = partialObjectMetadata(obj);
    return row;
  });
  const table: TableBody = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, rows };
  if (!opts.noHeaders) {
    // keep upstream's field order: columnDefinitions before rows
    return { kind: table.kind, apiVersion: table.apiVersion, metadata: table.metadata, columnDefinitions: printer.columns, rows };
  }
  return table;
}
