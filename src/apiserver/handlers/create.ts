import { apiVersionOf } from '../../api/types.js';
import type { RestContext } from './context.js';
import { sendObject } from './negotiation.js';
import { addWarnings, checkFields, decodeObject, dryRun, fieldManager, namespaceFor } from './rest.js';

/** POST to a collection (handlers/create.go). */
export async function createResource(ctx: RestContext): Promise<void> {
  const { obj, version } = await decodeObject(ctx);
  namespaceFor(ctx, obj);
  checkFields(ctx, obj, version);
  const warnings: string[] = [];
  const stored = ctx.objects.create(ctx.def, ctx.objects.toStorage(ctx.def, obj, version), {
    dryRun: dryRun(ctx),
    fieldManager: fieldManager(ctx),
    apiVersion: apiVersionOf(ctx.def.group, version),
    warnings,
  });
  addWarnings(ctx, warnings);
  sendObject(ctx, 201, stored);
}
