import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.js';

/** Upstream's limit for a request body (apiserver MaxRequestBodyBytes). */
export const MAX_BODY = 3 * 1024 * 1024;

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  // Already answered, by the request timeout: the handler's late answer goes nowhere.
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : errors.internal(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  if (closeAfterResponse.has(res.req)) res.setHeader('Connection', 'close');
  // As responsewriters.ErrorNegotiated: a retriable server error says when to retry.
  if (e.details?.retryAfterSeconds && (e.code >= 500 || e.code === 429)) res.setHeader('Retry-After', String(e.details.retryAfterSeconds));
  sendJSON(res, e.code, e.toStatus());
}

/** Past this much, a refused body is not drained but the connection is dropped. */
const MAX_DRAIN = 64 * 1024 * 1024;

/**
 * Reads the rest of a body we will not use, so an error answer reaches a client that is still
 * sending (answering first makes the client's writes fail with EPIPE instead).
 */
export function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN) {
        req.socket.destroy();
        resolve();
      }
    });
    req.on('end', () => resolve());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}

/**
 * Reads the whole body, refusing more than MAX_BODY bytes with 413 (without buffering them).
 * Past the limit the rest is discarded, and the answer closes the connection, as Go's server
 * does with a body the handler did not read: a client streaming a chunked body without end
 * gets its 413 instead of waiting for ever.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return refuse(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > MAX_BODY) {
        done();
        refuse(req).catch(reject);
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    // The client went away (or the request timed out and the connection was closed).
    const onClose = (): void => {
      done();
      if (!req.complete) reject(new Error('the request body was not complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Fails with 413. A body of a declared length within MAX_DRAIN is read to its end first, so the
 * client, still writing it, gets the answer rather than a reset connection; any other is
 * discarded and the connection marked for closing after the answer.
 */
async function refuse(req: IncomingMessage): Promise<never> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared <= MAX_DRAIN) await drain(req);
  else {
    closeAfterResponse.add(req);
    req.resume();
  }
  throw errors.tooLarge();
}

/** Requests whose answer must close the connection (their body was not read to the end). */
export const closeAfterResponse = new WeakSet<IncomingMessage>();

/** The media type without parameters, lower-cased; JSON when absent (kubectl scale's PUT). */
export function mediaType(header: string | undefined): string {
  if (!header) return 'application/json';
  return header.split(';')[0].trim().toLowerCase();
}
