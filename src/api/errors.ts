import type { ResourceDef } from './types.js';

// The one error type of the API, on both sides of the wire: the API server throws it and
// renders it as a meta/v1 Status; the client parses a failed answer's Status back into it.
// Upstream keeps both in k8s.io/apimachinery/pkg/api/errors (StatusError).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
  [key: string]: unknown;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

/** The metav1.Status body of a failed request. */
export interface Status {
  kind?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  status?: string;
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/**
 * A failed API call: its HTTP code and its Status. `what` (client side) says what the caller
 * was doing, and leads the message.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly body: Status;
  constructor(status: number, body: Status, what?: string) {
    const message = body.message ?? `HTTP ${status}`;
    super(what ? `${what}: ${message}` : message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
  get code(): number {
    return this.status;
  }
  get reason(): string | undefined {
    return this.body.reason;
  }
  get details(): StatusDetails | undefined {
    return this.body.details;
  }
  /** The Status the API server answers with. */
  toStatus(): Status {
    return this.body;
  }
}

/** An ApiError with upstream's Status shape (field order as upstream serializes it). */
export function apiError(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const body: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason };
  if (details) body.details = details;
  body.code = code;
  return new ApiError(code, body);
}

/** `deployments.apps` / `pods`: how upstream names a resource in messages. */
export function qualifiedResource(def: Pick<ResourceDef, 'plural' | 'group'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

function named(def: Pick<ResourceDef, 'plural' | 'group'>, name: string): StatusDetails {
  return { name, ...(def.group ? { group: def.group } : {}), kind: def.plural };
}

export const errors = {
  notFound(def: Pick<ResourceDef, 'plural' | 'group'>, name: string): ApiError {
    return apiError(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, named(def, name));
  },
  alreadyExists(def: Pick<ResourceDef, 'plural' | 'group'>, name: string): ApiError {
    return apiError(409, 'AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, named(def, name));
  },
  conflict(def: Pick<ResourceDef, 'plural' | 'group'>, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return apiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`, named(def, name));
  },
  badRequest(message: string): ApiError {
    return apiError(400, 'BadRequest', message);
  },
  forbidden(def: Pick<ResourceDef, 'plural' | 'group'>, name: string, why: string): ApiError {
    return apiError(403, 'Forbidden', `${qualifiedResource(def)} "${name}" is forbidden: ${why}`, named(def, name));
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return apiError(405, 'MethodNotAllowed', message);
  },
  notFoundPath(): ApiError {
    return apiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  unauthorized(): ApiError {
    return apiError(401, 'Unauthorized', 'Unauthorized');
  },
  unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
    return apiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  },
  tooLarge(): ApiError {
    return apiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  },
  /** apierrors.NewTimeoutError: 504 Timeout, "Timeout: <message>", with when to retry. */
  timeout(message: string, retryAfterSeconds = 0, causes?: StatusCause[]): ApiError {
    return apiError(504, 'Timeout', `Timeout: ${message}`, { ...(causes ? { causes } : {}), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
  },
  expired(message: string): ApiError {
    return apiError(410, 'Expired', message);
  },
  internal(message: string): ApiError {
    return apiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
};
