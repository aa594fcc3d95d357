import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceDef } from '../api/types.js';
import { errors } from '../api/errors.js';
import type { Objects } from './objects.js';
import type { RequestInfo } from './request-info.js';
import type { RestContext, SubresourceHandler } from './handlers/context.js';
import { getResource } from './handlers/get.js';
import { listResource } from './handlers/list.js';
import { watchResource } from './handlers/watch.js';
import { createResource } from './handlers/create.js';
import { updateResource } from './handlers/update.js';
import { patchResource } from './handlers/patch.js';
import { deleteResource } from './handlers/delete.js';
import { deleteCollection } from './handlers/deletecollection.js';
import { serveSubresource, upgradeSubresource } from './handlers/subresource.js';

/** Routes a request on a resource path to the handler of its verb (upstream's installer). */
export class ResourceHandler {
  constructor(
    readonly objects: Objects,
    private nodesDir: string,
    /** Subresources the server provides itself (serviceaccounts/token). */
    private readonly provided: Record<string, SubresourceHandler> = {},
  ) {}

  async handle(req: Omit<RestContext, 'objects'>): Promise<void> {
    const ctx: RestContext = { ...req, objects: this.objects };
    const method = ctx.req.method ?? 'GET';
    if (ctx.info.subresource) return serveSubresource(ctx, ctx.info.subresource, method, this.provided, this.nodesDir);
    if (!ctx.info.name) {
      switch (method) {
        case 'GET':
          return ctx.query.get('watch') === 'true' || ctx.query.get('watch') === '1' ? watchResource(ctx) : listResource(ctx);
        case 'POST':
          return createResource(ctx);
        case 'DELETE':
          return deleteCollection(ctx);
        default:
          throw errors.methodNotAllowed();
      }
    }
    switch (method) {
      case 'GET':
        return getResource(ctx);
      case 'PUT':
        return updateResource(ctx);
      case 'PATCH':
        return patchResource(ctx);
      case 'DELETE':
        return deleteResource(ctx);
      default:
        throw errors.methodNotAllowed();
    }
  }

  upgrade(def: ResourceDef, info: RequestInfo, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    upgradeSubresource(this.objects, this.nodesDir, def, info, query, req, socket, head);
  }
}
