import { apiVersionOf } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import type { RestContext } from './context.js';
import { sendObject } from './negotiation.js';
import { addWarnings, checkFields, decodeObject, dryRun, fieldManager, namespaceFor } from './rest.js';

/** PUT of an object, or of its status or another update-style subresource (handlers/update.go). */
export async function updateResource(ctx: RestContext, subresource?: string): Promise<void> {
  const { obj, version } = await decodeObject(ctx);
  namespaceFor(ctx, obj);
  if (obj.metadata.name !== undefined && obj.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  obj.metadata.name = ctx.info.name;
  checkFields(ctx, obj, version);
  const warnings: string[] = [];
  const stored = ctx.objects.update(ctx.def, ctx.objects.toStorage(ctx.def, obj, version), {
    dryRun: dryRun(ctx),
    fieldManager: fieldManager(ctx),
    apiVersion: apiVersionOf(ctx.def.group, version),
    subresource,
    warnings,
  });
  addWarnings(ctx, warnings);
  sendObject(ctx, 200, stored);
}
