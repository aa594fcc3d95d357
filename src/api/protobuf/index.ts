/**
 * Decoding of `application/vnd.kubernetes.protobuf` request bodies (kubectl >= 1.32 typed
 * clients) into the JSON object the server would have received from an older kubectl.
 */
import { messageForKind, protobufKinds } from './catalog.js';
import { readEnvelope, writeEnvelope } from './envelope.js';
import { ProtobufError } from './errors.js';
import { writeMessageBytes } from './from-json.js';
import { messageToJson } from './to-json.js';
import { readMessage } from './wire-reader.js';

export { ProtobufError } from './errors.js';
export { protobufKinds } from './catalog.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

// The scheme name kube-apiserver reports in "no kind is registered" errors.
const SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

export type DecodedObject = { apiVersion: string; kind: string; [k: string]: unknown };

/** True for a Content-Type naming the Kubernetes protobuf encoding (parameters ignored). */
export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/**
 * Decodes a `k8s\0` + runtime.Unknown envelope into a plain JSON object with apiVersion and
 * kind. Throws ProtobufError (message as upstream's decoding errors) on malformed input or on
 * a kind it does not know.
 */
export function decodeProtobuf(body: Buffer): DecodedObject {
  const { apiVersion, kind, raw } = readEnvelope(body);
  const typeMeta = `runtime.TypeMeta{APIVersion:${JSON.stringify(apiVersion)}, Kind:${JSON.stringify(kind)}}`;
  if (kind === '') throw new ProtobufError(`Object 'Kind' is missing in '${typeMeta}'`);
  if (apiVersion === '') throw new ProtobufError(`Object 'apiVersion' is missing in '${typeMeta}'`);
  const spec = messageForKind(apiVersion, kind);
  if (!spec) throw new ProtobufError(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme ${JSON.stringify(SCHEME)}`);
  return { apiVersion, kind, ...messageToJson(spec, readMessage(raw, spec)) };
}

/** Encodes a JSON object as the k8s protobuf envelope, for tests. */
export function encodeProtobuf(obj: object): Buffer {
  const record = obj as Record<string, unknown>;
  const apiVersion = typeof record.apiVersion === 'string' ? record.apiVersion : '';
  const kind = typeof record.kind === 'string' ? record.kind : '';
  const spec = messageForKind(apiVersion, kind);
  if (!spec) throw new ProtobufError(`encoding ${kind || 'object'}: no protobuf message for ${apiVersion}/${kind}; known: ${protobufKinds().map((k) => `${k.apiVersion}/${k.kind}`).join(', ')}`);
  return writeEnvelope(apiVersion, kind, writeMessageBytes(spec, record, kind));
}
