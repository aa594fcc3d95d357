import type { ResourceDef } from '../api/types.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A failed API call, rendered as a meta/v1 Status with the same code, reason and message upstream uses. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): object {
    const s: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason };
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

/** `deployments.apps` / `pods`: how upstream names a resource in messages. */
export function qualifiedResource(def: Pick<ResourceDef, 'plural' | 'group'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export const errors = {
  notFound(def: Pick<ResourceDef, 'plural' | 'group'>, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, { name, ...(def.group ? { group: def.group } : {}), kind: def.plural });
  },
  alreadyExists(def: Pick<ResourceDef, 'plural' | 'group'>, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, { name, ...(def.group ? { group: def.group } : {}), kind: def.plural });
  },
  conflict(def: Pick<ResourceDef, 'plural' | 'group'>, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`, { name, ...(def.group ? { group: def.group } : {}), kind: def.plural });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  forbidden(def: Pick<ResourceDef, 'plural' | 'group'>, name: string, why: string): ApiError {
    return new ApiError(403, 'Forbidden', `${qualifiedResource(def)} "${name}" is forbidden: ${why}`, { name, ...(def.group ? { group: def.group } : {}), kind: def.plural });
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  notFoundPath(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  },
  tooLarge(): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  },
  /** apierrors.NewTimeoutError: 504 Timeout, "Timeout: <message>", with when to retry. */
  timeout(message: string, retryAfterSeconds = 0, causes?: StatusCause[]): ApiError {
    return new ApiError(504, 'Timeout', `Timeout: ${message}`, { ...(causes ? { causes } : {}), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
};
