import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { ApiError, errors } from '../../api/errors.js';
import { storeResource } from '../objects.js';
import { sendJSON } from '../http.js';
import { matches, parseFilter } from '../filter.js';
import type { RestContext } from './context.js';
import { deleteOptions } from './delete.js';
import { inRequestVersion } from './negotiation.js';

/** DELETE of a collection (handlers/delete.go DeleteCollection), for kinds that serve it. */
export async function deleteCollection(ctx: RestContext): Promise<void> {
  const { def, info, query, objects } = ctx;
  if (def.verbs && !def.verbs.includes('deletecollection')) throw errors.methodNotAllowed();
  const opts = await deleteOptions(ctx);
  const filter = parseFilter(def, query.get('labelSelector'), query.get('fieldSelector'));
  const entries = objects.store.list(storeResource(def), def.namespaced ? info.namespace : undefined);
  const deleted: KObject[] = [];
  for (const e of entries) {
    const o = JSON.parse(e.json) as KObject;
    if (!matches(filter, o)) continue;
    try {
      deleted.push(objects.delete(def, e.namespace, e.name, opts).obj);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  sendJSON(ctx.res, 200, {
    kind: def.listKind,
    apiVersion: apiVersionOf(def.group, info.version),
    metadata: { resourceVersion: String(objects.store.revision()) },
    items: deleted.map((o) => inRequestVersion(ctx, o)),
  });
}
