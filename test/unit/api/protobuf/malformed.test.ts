// Malformed bodies fail with ProtobufError and upstream's messages, without hanging or leaking
// other error types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/minimal.js';
import { decodeProtobuf, ProtobufError } from '../../../../src/api/protobuf/index.js';
import { PROTOBUF_MAGIC, writeEnvelope } from '../../../../src/api/protobuf/envelope.js';

const FIXTURES = new URL('../../../../../test/unit/api/protobuf/fixtures/', import.meta.url);
const deploymentBody = Buffer.from(readFileSync(new URL('deployment.pb.b64', FIXTURES), 'utf8'), 'base64');

function rejects(body: Buffer, message: string | RegExp): void {
  assert.throws(() => decodeProtobuf(body), (err: unknown) => {
    assert.ok(err instanceof ProtobufError, `expected ProtobufError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** Hand-built raw object bytes, wrapped in a valid envelope. */
function deploymentWithRaw(build: (w: protobuf.Writer) => void): Buffer {
  const w = protobuf.Writer.create();
  build(w);
  return writeEnvelope('apps/v1', 'Deployment', w.finish());
}

test('an empty body, a foreign prefix and a bare prefix are refused like the apiserver does', () => {
  rejects(Buffer.alloc(0), 'empty data');
  rejects(Buffer.from('{"kind":"Deployment"}'), 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  rejects(Buffer.from('k8s'), 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  rejects(Buffer.from(PROTOBUF_MAGIC), 'empty body');
});

test('every truncation of a real kubectl body fails with ProtobufError unless it ends on an envelope field boundary', () => {
  const full = decodeProtobuf(deploymentBody);
  // Cut right after typeMeta the envelope is complete but carries no object: an empty Deployment.
  const afterTypeMeta = 6 + deploymentBody[5]!;
  const empty = decodeProtobuf(deploymentBody.subarray(0, afterTypeMeta));
  assert.deepStrictEqual(empty.metadata, {});
  const decodedPrefixes: number[] = [];
  for (let len = 0; len < deploymentBody.length; len++) {
    let decoded: unknown;
    try {
      decoded = decodeProtobuf(deploymentBody.subarray(0, len));
    } catch (err) {
      if (!(err instanceof ProtobufError)) throw err;
      continue;
    }
    assert.deepStrictEqual(decoded, len === afterTypeMeta ? empty : full, `prefix of ${len} bytes`);
    decodedPrefixes.push(len);
  }
  // The trailing fields are the empty contentEncoding (2 bytes) and contentType (2 bytes).
  const n = deploymentBody.length;
  assert.deepStrictEqual(decodedPrefixes, [afterTypeMeta, n - 4, n - 2]);
  rejects(deploymentBody.subarray(0, n >> 1), 'unexpected EOF');
});

test('an unknown or incomplete kind is refused with the scheme error', () => {
  rejects(writeEnvelope('example.com/v1', 'Widget', new Uint8Array(0)),
    'no kind "Widget" is registered for version "example.com/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
  rejects(writeEnvelope('v1', '', new Uint8Array(0)), `Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"v1", Kind:""}'`);
  rejects(writeEnvelope('', 'Pod', new Uint8Array(0)), `Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:"", Kind:"Pod"}'`);
});

test('wire-level faults inside the object produce gogo Unmarshal errors', () => {
  rejects(deploymentWithRaw((w) => w.uint32((1 << 3) | 0).uint32(5)), 'proto: wrong wireType = 0 for field ObjectMeta');
  rejects(deploymentWithRaw((w) => w.uint32((2 << 3) | 0).uint32(0)), 'proto: wrong wireType = 0 for field Spec');
  rejects(deploymentWithRaw((w) => w.uint32(0)), 'proto: Deployment: illegal tag 0 (wire type 0)');
  rejects(deploymentWithRaw((w) => w.uint32((1 << 3) | 4)), 'proto: Deployment: wiretype end group for non-group');
  rejects(deploymentWithRaw((w) => w.uint32((9 << 3) | 7)), 'proto: illegal wireType 7');
  // A length far beyond the buffer must fail at once rather than allocate or wait.
  rejects(deploymentWithRaw((w) => w.uint32((2 << 3) | 2).uint32(0xffffffff)), 'unexpected EOF');
  // spec.replicas as a varint longer than 64 bits.
  const overlong = Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  rejects(deploymentWithRaw((w) => w.uint32((2 << 3) | 2).bytes(overlong)), 'proto: integer overflow');
});

test('unknown fields are skipped and packed repeated varints are accepted', () => {
  const decoded = decodeProtobuf(deploymentWithRaw((w) => {
    w.uint32((99 << 3) | 0).uint32(7); // unknown varint
    w.uint32((98 << 3) | 2).bytes(Buffer.from('ignored')); // unknown bytes
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('d').ldelim();
  }));
  assert.deepStrictEqual(decoded, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { metadata: {}, spec: {} }, strategy: {} }, status: {} });

  // PodFailurePolicyOnExitCodesRequirement.values (field 3) written packed.
  const exitCodes = protobuf.Writer.create();
  exitCodes.uint32((2 << 3) | 2).string('In');
  exitCodes.uint32((3 << 3) | 2).fork().int32(1).int32(42).ldelim();
  const rule = protobuf.Writer.create().uint32((1 << 3) | 2).string('FailJob').uint32((2 << 3) | 2).bytes(exitCodes.finish()).finish();
  const policy = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(rule).finish();
  const spec = protobuf.Writer.create().uint32((11 << 3) | 2).bytes(policy).finish();
  const raw = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(spec).finish();
  const decodedJob = decodeProtobuf(writeEnvelope('batch/v1', 'Job', raw)) as unknown as { spec: { podFailurePolicy: unknown } };
  assert.deepStrictEqual(decodedJob.spec.podFailurePolicy, { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 42] } }] });
});

test('random bytes after the magic never escape as anything but ProtobufError', () => {
  let seed = 0x5eed;
  const next = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let i = 0; i < 2000; i++) {
    const body = Buffer.alloc(4 + (next() % 64));
    PROTOBUF_MAGIC.copy(body);
    for (let j = 4; j < body.length; j++) body[j] = next() & 0xff;
    try {
      decodeProtobuf(body);
    } catch (err) {
      assert.ok(err instanceof ProtobufError, `iteration ${i}: ${String(err)}`);
    }
  }
  // And mutating single bytes of a real body likewise.
  for (let pos = 4; pos < deploymentBody.length; pos++) {
    const body = Buffer.from(deploymentBody);
    body[pos] = body[pos]! ^ 0xff;
    try {
      decodeProtobuf(body);
    } catch (err) {
      assert.ok(err instanceof ProtobufError, `flipping byte ${pos}: ${String(err)}`);
    }
  }
});
