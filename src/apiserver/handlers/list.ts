import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { storeResource } from '../objects.js';
import { sendJSON } from '../http.js';
import { parseFilter, matches } from '../filter.js';
import { checkListResourceVersion } from '../resource-version.js';
import type { RestContext } from './context.js';
import { inRequestVersion, metadataMismatch, metadataType, negotiate, partialObjectMetadata, table, TABLE_TYPE } from './negotiation.js';

/** LIST of a collection (handlers/get.go ListResource), with selectors and limit/continue chunks. */
export async function listResource(ctx: RestContext): Promise<void> {
  const { def, info, query, objects } = ctx;
  const want = negotiate(ctx.req.headers.accept);
  if (want.as === 'PartialObjectMetadata') throw metadataMismatch(def, true);
  const filter = parseFilter(def, query.get('labelSelector'), query.get('fieldSelector'));
  const store = objects.store;
  await checkListResourceVersion(store, query);
  const rv = store.revision();
  let entries = store.list(storeResource(def), def.namespaced ? info.namespace : undefined);
  let start = 0;
  let listRv = rv;
  const cont = query.get('continue');
  if (cont) {
    const tok = decodeContinue(cont);
    if (tok.rv < store.oldestWatchableOf(storeResource(def))) {
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    listRv = tok.rv;
    start = entries.findIndex((e) => `${e.namespace}/${e.name}` > tok.key);
    if (start < 0) start = entries.length;
  }
  entries = entries.slice(start);
  const limit = Number(query.get('limit') ?? 0);
  const asTable = want.as === 'Table';
  const needParse = !!filter || want.as !== 'Object' || info.version !== def.storageVersion;
  let items: { json: string; obj?: KObject; key: string }[] = [];
  for (const e of entries) {
    const key = `${e.namespace}/${e.name}`;
    if (needParse) {
      const o = JSON.parse(e.json) as KObject;
      if (!matches(filter, o)) continue;
      items.push({ json: e.json, obj: o, key });
    } else items.push({ json: e.json, key });
  }
  let continueToken: string | undefined;
  let remaining: number | undefined;
  if (limit > 0 && items.length > limit) {
    remaining = items.length - limit;
    items = items.slice(0, limit);
    continueToken = encodeContinue({ rv: listRv, key: items[items.length - 1].key });
  }
  const meta: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (continueToken) {
    meta.continue = continueToken;
    meta.remainingItemCount = remaining;
  }
  if (asTable) {
    const t = table(ctx, items.map((i) => i.obj!)) as { metadata: Record<string, unknown> };
    t.metadata = meta;
    sendJSON(ctx.res, 200, t, TABLE_TYPE);
    return;
  }
  if (want.as === 'PartialObjectMetadataList') {
    const list = { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${want.version}`, metadata: meta, items: items.map((i) => partialObjectMetadata(i.obj!, want.version)) };
    sendJSON(ctx.res, 200, list, metadataType(want));
    return;
  }
  // Items in the storage version go out as stored, without a parse and a serialization each.
  const head = JSON.stringify({ kind: def.listKind, apiVersion: apiVersionOf(def.group, info.version), metadata: meta });
  const body =
    head.slice(0, -1) +
    ',"items":[' +
    items.map((i) => (info.version !== def.storageVersion ? JSON.stringify(inRequestVersion(ctx, i.obj!)) : i.json)).join(',') +
    ']}';
  sendJSON(ctx.res, 200, body);
}

function encodeContinue(t: { rv: number; key: string }): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.key })).toString('base64url');
}

function decodeContinue(s: string): { rv: number; key: string } {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return { rv: t.rv, key: t.start };
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
  }
}
