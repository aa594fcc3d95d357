// Request bodies as data, by their media type: the one place the API server's handlers decode
// an object body (JSON, YAML or protobuf), an optional one (DeleteOptions) or a patch. Each
// handler words its own errors (upstream's differ between a resource and a subresource such
// as TokenRequest).
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobuf, ProtobufError } from '../api/protobuf/index.js';
import { mediaType, readBody } from './http.js';
import { errors } from '../api/errors.js';
import { goJsonSyntaxError, MAX_NESTING_DEPTH } from './json-syntax.js';

export const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** A body its media type's parser refused; `protobuf` tells a protobuf error from a JSON/YAML one. */
export class BodyDecodeError extends Error {
  constructor(
    message: string,
    readonly protobuf: boolean,
    /** The body as sent, for the summary upstream quotes when it cannot tell the kind. */
    readonly body: Buffer = Buffer.alloc(0),
  ) {
    super(message);
  }
}

function decodeJson(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  // JSON.parse accepts what Go's decoder accepts but for the nesting limit, which a text this
  // short cannot reach: the scan in Go's words is needed only for its error message.
  if (text.length <= MAX_NESTING_DEPTH) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new BodyDecodeError(goJsonSyntaxError(text) ?? (e as Error).message, false, buf);
    }
  }
  // Checked as Go's decoder does, which also bounds the nesting before anything walks it.
  const syntax = goJsonSyntaxError(text);
  if (syntax) throw new BodyDecodeError(syntax, false, buf);
  return JSON.parse(text);
}

function decode(buf: Buffer, type: string): unknown {
  if (!BODY_TYPES.includes(type)) throw errors.unsupportedMediaType(type, BODY_TYPES);
  if (type === 'application/json') return decodeJson(buf);
  try {
    if (type === 'application/yaml') return parseYaml(buf.toString('utf8'));
    return decodeProtobuf(buf);
  } catch (e) {
    throw new BodyDecodeError((e as Error).message, e instanceof ProtobufError, buf);
  }
}

/** The request's body, parsed; an ApiError (415) for another media type, BodyDecodeError for a bad body. */
export async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  return decode(buf, mediaType(req.headers['content-type']));
}

/** A body that may be absent (DeleteOptions): undefined when empty; JSON when no media type is given. */
export async function readOptionalObjectBody(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (!buf.length) return undefined;
  return decode(buf, req.headers['content-type'] ? mediaType(req.headers['content-type']) : 'application/json');
}

/** A patch: JSON, or YAML for an apply patch that is not JSON. */
export async function readPatchBody(req: IncomingMessage, apply: boolean): Promise<unknown> {
  const buf = await readBody(req);
  const text = buf.toString('utf8');
  if (!apply || /^\s*[{[]/.test(text)) return decodeJson(buf);
  try {
    return parseYaml(text);
  } catch (e) {
    throw new BodyDecodeError((e as Error).message, false, buf);
  }
}
