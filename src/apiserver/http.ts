import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './status.js';

/** Upstream's limit for a request body (apiserver MaxRequestBodyBytes). */
export const MAX_BODY = 3 * 1024 * 1024;

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : errors.internal(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
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

/** Reads the whole body, refusing more than MAX_BODY bytes with 413 (without buffering them). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
    await drain(req);
    throw errors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) {
      await drain(req);
      throw errors.tooLarge();
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The media type without parameters, lower-cased; JSON when absent (kubectl scale's PUT). */
export function mediaType(header: string | undefined): string {
  if (!header) return 'application/json';
  return header.split(';')[0].trim().toLowerCase();
}
