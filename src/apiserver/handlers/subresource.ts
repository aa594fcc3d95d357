import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceDef } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { sendJSON } from '../http.js';
import { BodyDecodeError, readObjectBody } from '../body.js';
import { proxyRequest, proxyUpgrade } from '../kubelet-proxy.js';
import type { Objects } from '../objects.js';
import type { RequestInfo } from '../request-info.js';
import type { RestContext, SubresourceHandler } from './context.js';
import { getResource } from './get.js';
import { updateResource } from './update.js';
import { patchResource } from './patch.js';
import { serveScale } from './scale.js';
import { dryRun, fieldManager } from './rest.js';

/**
 * Serves a subresource: status and scale for the kinds whose definition has them, the ones
 * the server provides itself, and those whose behaviour the kind's strategy gives (update,
 * create or connect).
 */
export async function serveSubresource(ctx: RestContext, sub: string, method: string, provided: Record<string, SubresourceHandler>, nodesDir: string): Promise<void> {
  const { def, info, objects } = ctx;
  const own = provided[`${def.group}/${def.plural}/${sub}`];
  if (own && info.name) return own(ctx);
  if (sub === 'status' && def.status) {
    if (method === 'GET') return getResource(ctx);
    if (method === 'PUT') return updateResource(ctx, 'status');
    if (method === 'PATCH') return patchResource(ctx, 'status');
    throw errors.methodNotAllowed();
  }
  if (sub === 'scale' && def.scale) return serveScale(ctx, method);
  const declared = def.subresources?.find((s) => s.name === sub);
  if (!declared) throw errors.notFoundPath();
  const strategy = def.strategy?.subresources?.[sub];
  if (strategy?.create) {
    if (method !== 'POST') throw errors.methodNotAllowed();
    const kind = declared.responseKind.kind;
    let body: unknown;
    try {
      body = await readObjectBody(ctx.req);
    } catch (e) {
      if (e instanceof BodyDecodeError) throw errors.badRequest(`${kind} in version "${declared.responseKind.version}" cannot be handled as a ${kind}: ${e.message}`);
      throw e;
    }
    const parent = objects.get(def, info.namespace, info.name!);
    const out = strategy.create(parent, body, info.name!);
    objects.update(def, out.obj, { subresource: sub, dryRun: dryRun(ctx), fieldManager: fieldManager(ctx) });
    sendJSON(ctx.res, out.code, out.response);
    return;
  }
  if (strategy?.update) {
    if (method === 'PUT') return updateResource(ctx, sub);
    throw errors.methodNotAllowed();
  }
  const obj = objects.get(def, info.namespace, info.name!);
  if (!strategy?.connect) throw errors.notFoundPath();
  const target = strategy.connect(obj, ctx.query);
  if (strategy.upgrade) throw errors.badRequest('Upgrade request required');
  await proxyRequest(nodesDir, target.node, target.path, ctx.req, ctx.res);
}

/** The upgrade half of connect: exec, attach and portforward over WebSocket or SPDY. */
export function upgradeSubresource(objects: Objects, nodesDir: string, def: ResourceDef, info: RequestInfo, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const strategy = info.subresource ? def.strategy?.subresources?.[info.subresource] : undefined;
  if (!info.name || !strategy?.connect || !strategy.upgrade) throw errors.badRequest('this resource does not accept upgrade requests');
  const obj = objects.get(def, info.namespace, info.name);
  const target = strategy.connect(obj, query);
  proxyUpgrade(nodesDir, target.node, target.path, req, socket, head);
}
