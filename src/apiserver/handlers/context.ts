import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDef } from '../../api/types.js';
import type { Objects } from '../objects.js';
import type { RequestInfo } from '../request-info.js';

/** One request against a resource: what it addresses, and the objects it reads and writes. */
export interface RestContext {
  def: ResourceDef;
  info: RequestInfo;
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
  objects: Objects;
}

/** A subresource the server itself provides (serviceaccounts/token), keyed `<group>/<plural>/<subresource>`. */
export type SubresourceHandler = (ctx: RestContext) => Promise<void>;
