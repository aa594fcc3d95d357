/**
 * Reads protobuf wire bytes into a field-number map, driven by the message table.
 *
 * protobufjs's Reader supplies the primitives (varints, length-delimited slices, skipping);
 * the loop around it follows the gogo-generated Unmarshal methods the apiserver runs: unknown
 * fields are skipped, a known field with the wrong wire type is an error, and error texts are
 * the ones those methods produce.
 */
import protobuf from 'protobufjs/minimal.js';
import { ProtobufError } from './errors.js';
import { goTypeName, mapEntrySpec, valueSpec, type FieldSpec, type MessageSpec } from './schema.js';

/** A decoded message: field number → value. Repeated fields hold arrays, maps hold Maps. */
export type Decoded = Map<number, unknown>;

type Reader = protobuf.Reader;

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

/** Decodes `bytes` as message `spec`; every failure becomes a ProtobufError. */
export function readMessage(bytes: Uint8Array, spec: MessageSpec): Decoded {
  try {
    return readInto(protobuf.Reader.create(bytes), spec);
  } catch (err) {
    throw asProtobufError(err);
  }
}

function readInto(r: Reader, spec: MessageSpec): Decoded {
  const out: Decoded = new Map();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 4) throw new ProtobufError(`proto: ${goTypeName(spec)}: wiretype end group for non-group`);
    if (no <= 0) throw new ProtobufError(`proto: ${goTypeName(spec)}: illegal tag ${no} (wire type ${tag})`);
    const field = spec.byNumber.get(no);
    if (field === undefined) r.skipType(wireType);
    else readField(r, field, wireType, out);
  }
  return out;
}

function readField(r: Reader, f: FieldSpec, wireType: number, out: Decoded): void {
  if (f.map) {
    expectWireType(f, wireType, WIRE_BYTES);
    const entry = readInto(protobuf.Reader.create(r.bytes()), mapEntrySpec(f));
    let map = out.get(f.no) as Map<string, unknown> | undefined;
    if (!map) { map = new Map(); out.set(f.no, map); }
    map.set((entry.get(1) as string | undefined) ?? '', entry.get(2));
    return;
  }
  if (f.kind === 'scalar') {
    const numeric = f.type !== 'string' && f.type !== 'bytes';
    if (f.repeated && numeric && wireType === WIRE_BYTES) {
      // A packed list: gogo accepts it for repeated varints even though proto2 writes them unpacked.
      const packed = protobuf.Reader.create(r.bytes());
      const list = listOf(out, f.no);
      while (packed.pos < packed.len) list.push(readScalar(packed, f.type));
      return;
    }
    expectWireType(f, wireType, numeric ? WIRE_VARINT : WIRE_BYTES);
    const value = readScalar(r, f.type);
    if (f.repeated) listOf(out, f.no).push(value);
    else out.set(f.no, value);
    return;
  }
  expectWireType(f, wireType, WIRE_BYTES);
  const nested = readInto(protobuf.Reader.create(r.bytes()), valueSpec(f));
  if (f.repeated) { listOf(out, f.no).push(nested); return; }
  // A singular message seen twice is merged into the first, as proto.Unmarshal does.
  const previous = out.get(f.no) as Decoded | undefined;
  if (previous) mergeInto(previous, nested);
  else out.set(f.no, nested);
}

function readScalar(r: Reader, type: string): unknown {
  switch (type) {
    case 'string': return r.string();
    case 'bytes': return r.bytes();
    case 'int32': return r.int32();
    case 'bool': return r.bool();
    case 'int64': {
      const v = r.int64() as unknown;
      return typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber();
    }
    default: throw new Error(`protobuf schema: no scalar type ${type}`);
  }
}

function expectWireType(f: FieldSpec, actual: number, expected: number): void {
  if (actual !== expected) throw new ProtobufError(`proto: wrong wireType = ${actual} for field ${f.goName}`);
}

function listOf(out: Decoded, no: number): unknown[] {
  let list = out.get(no) as unknown[] | undefined;
  if (!list) { list = []; out.set(no, list); }
  return list;
}

function mergeInto(target: Decoded, source: Decoded): void {
  for (const [no, value] of source) {
    const existing = target.get(no);
    if (Array.isArray(existing) && Array.isArray(value)) existing.push(...value);
    else if (existing instanceof Map && value instanceof Map) for (const [k, v] of value) existing.set(k, v);
    else target.set(no, value);
  }
}

/** Maps protobufjs's reader failures onto the errors gogo's Unmarshal returns. */
function asProtobufError(err: unknown): ProtobufError {
  if (err instanceof ProtobufError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // A length running past the end (or one too large to be a length at all) is Go's io.ErrUnexpectedEOF.
  if (err instanceof RangeError || /index out of range|invalid length encoding/.test(message)) return new ProtobufError('unexpected EOF');
  if (/invalid varint/.test(message)) return new ProtobufError('proto: integer overflow');
  const wire = /invalid wire type (\d+)/.exec(message);
  if (wire) return new ProtobufError(`proto: illegal wireType ${wire[1]}`);
  return new ProtobufError(message);
}
