import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { defaultPrinter } from '../../api/printers/index.js';
import { toTable } from '../../api/printers/table.js';
import { sendJSON } from '../http.js';
import type { RestContext } from './context.js';

// The representation a client asked for (k8s.io/apiserver/pkg/endpoints/handlers/negotiation
// and responsewriters): the object in the request's version, or a meta.k8s.io Table.

export const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** A stored object in the version the request addresses. */
export function inRequestVersion(ctx: Pick<RestContext, 'def' | 'info' | 'objects'>, obj: KObject): KObject {
  return ctx.objects.toVersion(ctx.def, obj, ctx.info.version);
}

export function table(ctx: Pick<RestContext, 'def' | 'query' | 'info' | 'objects'>, objs: KObject[], noHeaders = false): object {
  const inc = (ctx.query.get('includeObject') ?? 'Metadata') as 'None' | 'Object' | 'Metadata';
  const printer = ctx.def.printer ?? defaultPrinter;
  const conv =
    inc === 'Object'
      ? objs.map((o) => inRequestVersion(ctx, o))
      : objs.map((o) => ({ ...o, apiVersion: apiVersionOf(ctx.def.group, ctx.info.version), kind: ctx.def.kind }));
  return toTable(printer, conv, Date.now(), { includeObject: inc, noHeaders });
}

/** Answers with one object, as a Table when the client asked for one. */
export function sendObject(ctx: RestContext, code: number, obj: KObject): void {
  if (wantsTable(ctx.req.headers.accept)) {
    const t = table(ctx, [obj]) as { metadata: Record<string, unknown> };
    t.metadata.resourceVersion = obj.metadata.resourceVersion;
    sendJSON(ctx.res, code, t, TABLE_TYPE);
    return;
  }
  sendJSON(ctx.res, code, inRequestVersion(ctx, obj));
}
