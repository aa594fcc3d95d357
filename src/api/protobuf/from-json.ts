/**
 * Writes a Kubernetes JSON object as protobuf wire bytes, driven by the same message table as
 * the decoder. Used to build request bodies in tests; fields absent from the JSON are not
 * written, so decoding the result gives back the JSON (plus Go's always-present `{}` structs).
 */
import protobuf from 'protobufjs/minimal.js';
import { ProtobufError } from './errors.js';
import { mapEntrySpec, messageSpec, type FieldSpec, type MessageSpec } from './schema.js';
import { parseTime } from './values.js';

type Writer = protobuf.Writer;

const tag = (no: number, wireType: number): number => ((no << 3) | wireType) >>> 0;

export function writeMessageBytes(spec: MessageSpec, obj: Record<string, unknown>, where: string): Uint8Array {
  const w = protobuf.Writer.create();
  writeMessage(w, spec, obj, where);
  return w.finish();
}

function writeMessage(w: Writer, spec: MessageSpec, obj: Record<string, unknown>, where: string): void {
  for (const f of spec.fields) {
    if (f.presence === 'inline') {
      // An embedded Go struct: its fields sit in this JSON object but travel as a nested message.
      w.uint32(tag(f.no, 2)).fork();
      writeMessage(w, messageSpec(f.type), obj, where);
      w.ldelim();
      continue;
    }
    const value = obj[f.json];
    if (value === undefined || value === null) continue;
    const path = `${where}.${f.json}`;
    if (f.map) {
      for (const [key, item] of Object.entries(asObject(value, path))) {
        w.uint32(tag(f.no, 2)).fork();
        w.uint32(tag(1, 2)).string(key);
        if (item !== null && item !== undefined) writeValue(w, 2, mapEntrySpec(f).byNumber.get(2)!, item, `${path}[${key}]`);
        w.ldelim();
      }
    } else if (f.repeated) {
      if (!Array.isArray(value)) throw new ProtobufError(`encoding ${path}: expected a list, got ${typeof value}`);
      value.forEach((item, i) => writeValue(w, f.no, f, item, `${path}[${i}]`));
    } else {
      writeValue(w, f.no, f, value, path);
    }
  }
}

function writeValue(w: Writer, no: number, f: FieldSpec, value: unknown, path: string): void {
  switch (f.kind) {
    case 'scalar': return writeScalar(w, no, f.type, value, path);
    case 'special': return writeSpecial(w, no, f.type, value, path);
    default:
      w.uint32(tag(no, 2)).fork();
      writeMessage(w, messageSpec(f.type), asObject(value, path), path);
      w.ldelim();
  }
}

function writeScalar(w: Writer, no: number, type: string, value: unknown, path: string): void {
  switch (type) {
    case 'string':
      w.uint32(tag(no, 2)).string(expect(value, 'string', path) as string);
      return;
    case 'bytes': {
      const text = expect(value, 'string', path) as string;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ProtobufError(`encoding ${path}: illegal base64 data`);
      w.uint32(tag(no, 2)).bytes(Buffer.from(text, 'base64'));
      return;
    }
    case 'bool':
      w.uint32(tag(no, 0)).bool(expect(value, 'boolean', path) as boolean);
      return;
    case 'int32':
      w.uint32(tag(no, 0)).int32(integer(value, path));
      return;
    case 'int64':
      w.uint32(tag(no, 0)).int64(integer(value, path));
      return;
    default: throw new Error(`protobuf schema: no scalar type ${type}`);
  }
}

function writeSpecial(w: Writer, no: number, type: string, value: unknown, path: string): void {
  w.uint32(tag(no, 2)).fork();
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      const { seconds, nanos } = parseTime(expect(value, 'string', path) as string, path);
      w.uint32(tag(1, 0)).int64(seconds);
      if (type === 'MicroTime' && nanos !== 0) w.uint32(tag(2, 0)).int32(Math.floor(nanos / 1000) * 1000);
      break;
    }
    case 'Quantity':
      if (typeof value !== 'string' && typeof value !== 'number') throw new ProtobufError(`encoding ${path}: expected a quantity, got ${typeof value}`);
      w.uint32(tag(1, 2)).string(String(value));
      break;
    case 'IntOrString':
      if (typeof value === 'number') w.uint32(tag(1, 0)).int64(0).uint32(tag(2, 0)).int32(integer(value, path));
      else w.uint32(tag(1, 0)).int64(1).uint32(tag(3, 2)).string(expect(value, 'string', path) as string);
      break;
    case 'FieldsV1':
      w.uint32(tag(1, 2)).bytes(Buffer.from(JSON.stringify(asObject(value, path)), 'utf8'));
      break;
    default: throw new Error(`protobuf schema: no value type ${type}`);
  }
  w.ldelim();
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtobufError(`encoding ${path}: expected an object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

function expect(value: unknown, type: 'string' | 'boolean', path: string): unknown {
  if (typeof value !== type) throw new ProtobufError(`encoding ${path}: expected a ${type}, got ${typeof value}`);
  return value;
}

function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ProtobufError(`encoding ${path}: expected an integer, got ${JSON.stringify(value)}`);
  return value;
}
