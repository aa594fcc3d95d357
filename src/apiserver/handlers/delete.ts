import { apiError, errors } from '../../api/errors.js';
import type { DeleteOptions } from '../objects.js';
import { sendJSON } from '../http.js';
import { BodyDecodeError, readOptionalObjectBody } from '../body.js';
import type { RestContext } from './context.js';
import { sendObject } from './negotiation.js';
import { dryRun } from './rest.js';

/** DeleteOptions from the body and the query, as upstream merges them. */
export async function deleteOptions(ctx: RestContext): Promise<DeleteOptions> {
  let opts: DeleteOptions = {};
  let parsed: unknown;
  try {
    parsed = await readOptionalObjectBody(ctx.req);
  } catch (e) {
    if (e instanceof BodyDecodeError) throw errors.badRequest(`error decoding DeleteOptions: ${e.message}`);
    throw e;
  }
  if (parsed !== undefined) {
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw errors.badRequest('error decoding DeleteOptions: not an object');
    opts = parsed as DeleteOptions;
  }
  const q = ctx.query;
  if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (q.get('gracePeriodSeconds') !== null) opts.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.get('orphanDependents') !== null) opts.orphanDependents = q.get('orphanDependents') === 'true';
  if (q.getAll('dryRun').length) opts.dryRun = dryRun(ctx);
  else if (Array.isArray((opts as { dryRun?: unknown }).dryRun)) opts.dryRun = ((opts as { dryRun?: unknown[] }).dryRun ?? []).length > 0;
  const p = opts.propagationPolicy;
  if (p !== undefined && p !== 'Background' && p !== 'Foreground' && p !== 'Orphan') {
    throw apiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw errors.badRequest('invalid gracePeriodSeconds');
  return opts;
}

/**
 * DELETE of one object (handlers/delete.go): the object while it waits for finalizers or its
 * grace period; once gone, a Status, or the object for kinds whose strategy returns it. Always
 * 200, except 202 for an object not yet gone whose client asked orphanDependents=false: upstream
 * keeps that old answer for old clients and gives no other case 202.
 */
export async function deleteResource(ctx: RestContext): Promise<void> {
  const opts = await deleteOptions(ctx);
  const { def } = ctx;
  const { obj, gone } = ctx.objects.delete(def, ctx.info.namespace, ctx.info.name!, opts);
  if (gone && !def.strategy?.returnDeletedObject) {
    sendJSON(ctx.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: obj.metadata.name, ...(def.group ? { group: def.group } : {}), kind: def.plural, uid: obj.metadata.uid },
    });
    return;
  }
  sendObject(ctx, !gone && opts.orphanDependents === false ? 202 : 200, obj);
}
