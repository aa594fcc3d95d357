import type { RestContext } from './context.js';
import { sendObject } from './negotiation.js';

/** GET of one object (handlers/get.go). */
export function getResource(ctx: RestContext): void {
  sendObject(ctx, 200, ctx.objects.get(ctx.def, ctx.info.namespace, ctx.info.name!));
}
