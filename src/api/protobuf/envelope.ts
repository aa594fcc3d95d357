/**
 * The Kubernetes protobuf envelope: the magic `k8s\0`, then a runtime.Unknown message
 * {1: typeMeta {apiVersion, kind}, 2: raw object bytes, 3: contentEncoding, 4: contentType}.
 * Error texts follow runtime/serializer/protobuf's Serializer.Decode.
 */
import { ProtobufError } from './errors.js';
import { messageSpec } from './schema.js';
import { readMessage, type Decoded } from './wire-reader.js';
import { writeMessageBytes } from './from-json.js';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

export function readEnvelope(body: Uint8Array): Envelope {
  if (body.length === 0) throw new ProtobufError('empty data');
  if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.equals(body.subarray(0, PROTOBUF_MAGIC.length))) {
    throw new ProtobufError(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  if (body.length === PROTOBUF_MAGIC.length) throw new ProtobufError('empty body');
  const unknown = readMessage(body.subarray(PROTOBUF_MAGIC.length), messageSpec('runtime.Unknown'));
  const typeMeta = (unknown.get(1) as Decoded | undefined) ?? new Map();
  return {
    apiVersion: (typeMeta.get(1) as string | undefined) ?? '',
    kind: (typeMeta.get(2) as string | undefined) ?? '',
    raw: (unknown.get(2) as Uint8Array | undefined) ?? new Uint8Array(0),
  };
}

export function writeEnvelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  // contentEncoding and contentType are written empty, as client-go does.
  const unknown = writeMessageBytes(messageSpec('runtime.Unknown'), {
    typeMeta: { apiVersion, kind },
    raw: Buffer.from(raw).toString('base64'),
    contentEncoding: '',
    contentType: '',
  }, 'runtime.Unknown');
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}
