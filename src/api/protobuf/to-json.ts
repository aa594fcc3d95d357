/**
 * Turns a decoded message into the JSON Go's encoding/json would print for the same Go struct,
 * minus nulls: `omitempty` scalars, lists and maps vanish when empty, pointers appear iff they
 * were on the wire, struct values always appear (`"status": {}`), and fields Go would print
 * as null (a zero `creationTimestamp`, a nil list without `omitempty`) are left out.
 */
import { ProtobufError } from './errors.js';
import { messageSpec, type FieldSpec, type MessageSpec } from './schema.js';
import { formatMicroTime, formatTime, intOrStringJson, quantityJson } from './values.js';
import type { Decoded } from './wire-reader.js';

const EMPTY: Decoded = new Map();

export function messageToJson(spec: MessageSpec, msg: Decoded): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    if (f.presence === 'inline') {
      Object.assign(out, messageToJson(messageSpec(f.type), (msg.get(f.no) as Decoded | undefined) ?? EMPTY));
      continue;
    }
    const value = fieldJson(f, msg.has(f.no), msg.get(f.no));
    if (value !== undefined) out[f.json] = value;
  }
  return out;
}

function fieldJson(f: FieldSpec, present: boolean, raw: unknown): unknown {
  if (f.map) {
    const entries = raw as Map<string, unknown> | undefined;
    if (!entries || entries.size === 0) return undefined;
    const obj: Record<string, unknown> = {};
    for (const [key, value] of entries) obj[key] = elementJson(f, value);
    return obj;
  }
  if (f.repeated) {
    const list = raw as unknown[] | undefined;
    return list && list.length > 0 ? list.map((v) => elementJson(f, v)) : undefined;
  }
  if (f.presence === 'pointer' && !present) return undefined;
  switch (f.kind) {
    case 'scalar': {
      const value = present ? scalarJson(f.type, raw) : zeroScalar(f.type);
      if (f.presence === 'omitempty' && isZero(value)) return undefined;
      return value;
    }
    case 'special': return specialJson(f.type, (raw as Decoded | undefined) ?? EMPTY);
    default: return messageToJson(messageSpec(f.type), (raw as Decoded | undefined) ?? EMPTY);
  }
}

/** One list element or map value; a map entry without a value carries the type's zero value. */
function elementJson(f: FieldSpec, value: unknown): unknown {
  switch (f.kind) {
    case 'scalar': return value === undefined ? zeroScalar(f.type) : scalarJson(f.type, value);
    case 'special': return specialJson(f.type, (value as Decoded | undefined) ?? EMPTY) ?? null;
    default: return messageToJson(messageSpec(f.type), (value as Decoded | undefined) ?? EMPTY);
  }
}

function scalarJson(type: string, value: unknown): unknown {
  return type === 'bytes' ? Buffer.from(value as Uint8Array).toString('base64') : value;
}

function zeroScalar(type: string): unknown {
  switch (type) {
    case 'string': case 'bytes': return '';
    case 'bool': return false;
    default: return 0;
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/** Time → RFC 3339 (undefined for the zero Time, which Go prints as null). */
function specialJson(type: string, msg: Decoded): unknown {
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      // Upstream's Time.Unmarshal treats an empty Timestamp as the zero time.
      if (msg.size === 0) return undefined;
      const seconds = (msg.get(1) as number | undefined) ?? 0;
      return type === 'Time' ? formatTime(seconds) : formatMicroTime(seconds, (msg.get(2) as number | undefined) ?? 0);
    }
    case 'Quantity': return quantityJson(msg.get(1) as string | undefined);
    case 'IntOrString':
      return intOrStringJson(msg.get(1) as number | undefined, msg.get(2) as number | undefined, msg.get(3) as string | undefined);
    case 'FieldsV1': {
      const raw = msg.get(1) as Uint8Array | undefined;
      if (!raw || raw.length === 0) return undefined;
      try {
        return JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        throw new ProtobufError('json: error calling MarshalJSON for type *v1.FieldsV1: invalid JSON in managedFields');
      }
    }
    default: throw new Error(`protobuf schema: no value type ${type}`);
  }
}
