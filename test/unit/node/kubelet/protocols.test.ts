import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  encodeData, encodeGoAway, encodeRstStream, encodeSynReply, FLAG_FIN, FrameParser, HeaderCompressor, HeaderDecompressor, SPDY_DICTIONARY,
} from '../../../../src/node/kubelet/spdy.js';
import { exitStatus, frame, parseFrame, parseResize, selectProtocol, CHANNEL } from '../../../../src/node/kubelet/remotecommand.js';

test('SPDY dictionary is the SPDY/3 one', () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.equal(SPDY_DICTIONARY.subarray(0, 11).toString('hex'), '000000076f7074696f6e73');
  assert.equal(SPDY_DICTIONARY.subarray(-9).toString('latin1'), ',*,enq=0.');
});

/** A client's compressor as Go's spdystream has it: real deflate, sync flush per frame. */
function realDeflater() {
  const d = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  return async (h: Record<string, string>): Promise<Buffer> => {
    const entries = Object.entries(h);
    const parts: Buffer[] = [];
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    parts.push(u32(entries.length));
    for (const [k, v] of entries) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
    d.write(Buffer.concat(parts));
    await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    return Buffer.concat(chunks.splice(0));
  };
}

function synStream(id: number, block: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(18);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt32BE((flags << 24) | (10 + block.length), 4);
  h.writeUInt32BE(id, 8);
  return Buffer.concat([h, block]);
}

test('header blocks: a real zlib client stream decodes across frames; ours inflates with the dictionary', async () => {
  const enc = realDeflater();
  const first = synStream(1, await enc({ streamtype: 'error', port: '8080', requestid: '0' }));
  const second = synStream(3, await enc({ streamtype: 'data', port: '8080', requestid: '0' }), FLAG_FIN);
  const p = new FrameParser(new HeaderDecompressor());
  const all = Buffer.concat([first, second, encodeData(1, Buffer.from('hi')), encodeRstStream(3, 5), encodeGoAway(3)]);
  const frames = [...p.push(all.subarray(0, 7)), ...p.push(all.subarray(7, 40)), ...p.push(all.subarray(40))];
  assert.deepEqual(frames.map((f) => f.type), ['syn_stream', 'syn_stream', 'data', 'rst_stream', 'goaway']);
  assert.deepEqual((frames[0] as { headers: object }).headers, { streamtype: 'error', port: '8080', requestid: '0' });
  assert.deepEqual((frames[1] as { headers: object }).headers, { streamtype: 'data', port: '8080', requestid: '0' });
  assert.equal((frames[1] as { flags: number }).flags, FLAG_FIN);
  assert.equal((frames[2] as { data: Buffer }).data.toString(), 'hi');

  const c = new HeaderCompressor();
  const r1 = encodeSynReply(c, 1, {});
  const r2 = encodeSynReply(c, 3, { foo: 'bar' });
  assert.equal(r1.readUInt16BE(0), 0x8003, 'control bit and version 3');
  assert.equal(r1.readUInt16BE(2), 2, 'SYN_REPLY');
  const zstream = Buffer.concat([r1.subarray(12), r2.subarray(12)]);
  assert.ok(zstream[1] & 0x20, 'FDICT set');
  assert.throws(() => zlib.inflateSync(zstream, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), 'needs the dictionary');
  const plain = zlib.inflateSync(zstream, { dictionary: SPDY_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.equal(plain.toString('hex'), '00000000' + '00000001' + '00000003' + Buffer.from('foo').toString('hex') + '00000003' + Buffer.from('bar').toString('hex'));
});

test('replies decode with a fresh client-side decompressor', () => {
  const server = new HeaderCompressor();
  const a = encodeSynReply(server, 1, {});
  const b = encodeSynReply(server, 3, { foo: 'bar' });
  const frames = new FrameParser(new HeaderDecompressor()).push(Buffer.concat([a, b]));
  assert.deepEqual(frames.map((f) => (f as { headers: object }).headers), [{}, { foo: 'bar' }]);
});

test('WebSocket channel framing, resize and exit status', () => {
  assert.equal(selectProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io']), 'v5.channel.k8s.io');
  assert.equal(selectProtocol(['v4.channel.k8s.io']), 'v4.channel.k8s.io');
  assert.equal(selectProtocol(['channel.k8s.io']), undefined);
  assert.deepEqual([...frame(CHANNEL.stdout, 'hi')], [1, 104, 105]);
  assert.deepEqual(parseFrame(Buffer.from([255, 0])), { channel: 255, data: Buffer.from([0]) });
  assert.equal(parseFrame(Buffer.alloc(0)), undefined);
  assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}\n')), { Width: 80, Height: 24 });
  assert.deepEqual(exitStatus(0, ['true']), { metadata: {}, status: 'Success' });
  const f = exitStatus(3, ['sh', '-c', 'exit 3']) as { reason: string; details: { causes: { reason: string; message: string }[] } };
  assert.equal(f.reason, 'NonZeroExitCode');
  assert.deepEqual(f.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});
