/** A cause carried in Status.details.causes, as upstream's metav1.StatusCause. */
export interface PatchErrorCause {
  type?: string;
  message: string;
  field?: string;
}

/**
 * A patch that cannot be applied, carrying the Status code, reason and message the real
 * apiserver answers with. Reason '' mirrors upstream's StatusReasonUnknown (plain Go errors
 * turned into 500s), which kubectl prints as "Error from server: <message>".
 */
export class PatchError extends Error {
  constructor(
    readonly code: 400 | 409 | 415 | 422 | 500,
    readonly reason: string,
    message: string,
    readonly causes?: PatchErrorCause[],
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

export function badRequest(message: string): PatchError {
  return new PatchError(400, 'BadRequest', message);
}

/** errors.NewGenericServerResponse(422, …): fixed message, the real one as an unexpected-response cause. */
export function unprocessable(serverMessage: string): PatchError {
  return new PatchError(422, 'Invalid', 'the server rejected our request due to an error in our request', [
    { type: 'UnexpectedServerResponse', message: serverMessage },
  ]);
}

export function internal(message: string): PatchError {
  return new PatchError(500, '', message);
}

/** Go's %v rendering of decoded JSON (map[k:v], [a b]), used where upstream messages embed values. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}
