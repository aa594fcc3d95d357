// Request bodies as data, by their media type: the one place the API server's handlers decode
// a JSON, YAML or protobuf object body. Each handler words its own errors (upstream's differ
// between a resource and a subresource such as TokenRequest).
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobuf, ProtobufError } from '../api/protobuf/index.js';
import { mediaType, readBody } from './http.js';
import { errors } from '../api/errors.js';
import { goJsonSyntaxError } from './json-syntax.js';

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

/** The request's body, parsed; an ApiError (415) for another media type, BodyDecodeError for a bad body. */
export async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  const type = mediaType(req.headers['content-type']);
  if (!BODY_TYPES.includes(type)) throw errors.unsupportedMediaType(type, BODY_TYPES);
  if (type === 'application/json') {
    const text = buf.toString('utf8');
    const syntax = goJsonSyntaxError(text);
    if (syntax) throw new BodyDecodeError(syntax, false, buf);
    return JSON.parse(text);
  }
  try {
    if (type === 'application/yaml') return parseYaml(buf.toString('utf8'));
    return decodeProtobuf(buf);
  } catch (e) {
    throw new BodyDecodeError((e as Error).message, e instanceof ProtobufError, buf);
  }
}
