import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  encodeGoAway, encodePing, encodeSynReply, FrameParser, HeaderCompressor, HeaderDecompressor, SPDY_DICTIONARY,
} from '../../../../src/node/kubelet/spdy.js';
import { SpdySession, type SpdyStream } from '../../../../src/node/kubelet/spdy-session.js';
import { connection, realDeflater, SpdyTestClient, synStream } from './spdy-client.js';

test('each header block we send ends with a sync flush, so Go\'s flate hands it out within the frame', () => {
  // Go's flate reader returns a stored block's bytes only at the next block boundary; spdystream
  // needs the whole name/value block from the frame's own bytes, or SYN_REPLY never decodes
  // and every CreateStream times out ("Timeout occurred").
  const c = new HeaderCompressor();
  const blocks = [c.encode({}), c.encode({ foo: 'bar' }), c.encode({ a: 'x'.repeat(70000) })];
  assert.equal(blocks[0][0], 0x78, 'deflate, 32 KiB window');
  assert.ok(blocks[0][1] & 0x20, 'FDICT');
  assert.equal(blocks[0].readUInt16BE(0) % 31, 0, 'FCHECK');
  for (const b of blocks) assert.equal(b.subarray(-5).toString('hex'), '000000ffff');
  // Each frame's deflate bytes inflate on their own given the history, as a Go reader would see them.
  let window = SPDY_DICTIONARY;
  const plain: Buffer[] = [];
  blocks.forEach((b, i) => {
    const out = zlib.inflateRawSync(i === 0 ? b.subarray(6) : b, { dictionary: window.subarray(-32768), finishFlush: zlib.constants.Z_SYNC_FLUSH });
    plain.push(out);
    window = Buffer.concat([window, out]);
  });
  assert.equal(plain[0].toString('hex'), '00000000');
  assert.equal(plain[2].length, 4 + 4 + 1 + 4 + 70000);
  // And our own decoder reads our encoder's stream, frame after frame.
  const server = new HeaderCompressor();
  const frames = new FrameParser(new HeaderDecompressor()).push(Buffer.concat([encodeSynReply(server, 1, {}), encodeSynReply(server, 3, { k: 'v' })]));
  assert.deepEqual(frames.map((f) => (f as { headers: object }).headers), [{}, { k: 'v' }]);
});

test('the peer\'s header stream decodes frame by frame past the 32 KiB window', async () => {
  const enc = realDeflater();
  const dec = new HeaderDecompressor();
  const parser = new FrameParser(dec);
  for (let i = 0; i < 1500; i++) {
    const h = { streamtype: i % 2 ? 'data' : 'error', port: String(8000 + (i % 7)), requestid: String(i) };
    const wire = synStream(2 * i + 1, await enc(h));
    // Split each frame at an odd place to exercise reassembly.
    const frames = [...parser.push(wire.subarray(0, 5)), ...parser.push(wire.subarray(5))];
    assert.equal(frames.length, 1);
    assert.deepEqual((frames[0] as { headers: object }).headers, h, `frame ${i}`);
  }
});

test('a header block that is not zlib ends the session with a protocol error', () => {
  const { server, fromServer } = connection();
  const seen: SpdyStream[] = [];
  const session = new SpdySession(server, (s) => seen.push(s));
  session.push(synStream(1, Buffer.from('not zlib at all')));
  assert.equal(session.isClosed, true);
  assert.equal(seen.length, 0);
  const frames = new FrameParser(new HeaderDecompressor()).push(fromServer.read() as Buffer);
  assert.deepEqual(frames.map((f) => f.type), ['goaway']);
});

test('session: SYN_REPLY per stream, FIN half-closes, RST tears down, PING echoes, client end closes all', async () => {
  const { server, toServer, fromServer } = connection();
  const streams: SpdyStream[] = [];
  let closed = 0;
  new SpdySession(server, (s) => streams.push(s), () => closed++);
  const client = new SpdyTestClient(toServer, fromServer);
  const a = await client.open({ streamtype: 'stdin' });
  const b = await client.open({ streamtype: 'stdout' }, true);
  await client.waitFor('replies', () => client.replied(a) && client.replied(b));
  assert.deepEqual(streams.map((s) => [s.id, s.headers.streamtype]), [[1, 'stdin'], [3, 'stdout']]);

  const got: string[] = [];
  streams[0].on('data', (d: Buffer) => got.push(d.toString()));
  const ended = new Promise((r) => streams[0].once('end', r));
  client.send(a, 'hello ');
  client.send(a, 'world', true);
  await ended;
  assert.equal(got.join(''), 'hello world');

  streams[1].end('out');
  assert.equal(await client.finished(b), 'out');

  toServer.write(encodePing(7));
  await client.waitFor('ping echo', () => client.frames.find((f) => f.type === 'ping' && f.id === 7));

  const c = await client.open({ streamtype: 'error' });
  await client.waitFor('reply', () => client.replied(c));
  const third = streams[2];
  const thirdClosed = new Promise((r) => third.once('close', r));
  client.reset(c);
  await thirdClosed;

  // A stream id that does not increase is refused with RST_STREAM PROTOCOL_ERROR.
  toServer.write(synStream(1, Buffer.alloc(0)));
  await client.waitFor('rst', () => client.frames.find((f) => f.type === 'rst_stream' && f.streamId === 1 && f.status === 1));

  // Ids may arrive out of order (spdystream before v0.5, kubectl ≤ 1.30), but never twice.
  toServer.write(synStream(11, Buffer.alloc(0)));
  toServer.write(synStream(9, Buffer.alloc(0)));
  await client.waitFor('both accepted', () => client.replied(11) && client.replied(9));
  toServer.write(synStream(9, Buffer.alloc(0)));
  await client.waitFor('reuse refused', () => client.frames.find((f) => f.type === 'rst_stream' && f.streamId === 9));
  assert.equal(streams.length, 5);

  const d = await client.open({ streamtype: 'data' }, false, 13);
  await client.waitFor('reply', () => client.replied(d));
  const fourthClosed = new Promise((r) => streams[5].once('close', r));
  toServer.end();
  await fourthClosed;
  await client.waitFor('goaway and end', () => client.ended && client.frames.some((f) => f.type === 'goaway'));
  assert.equal(closed, 1);
});

test('session: a reader that lags pauses the transport until it catches up', async () => {
  const { server, toServer, fromServer } = connection();
  const streams: SpdyStream[] = [];
  let paused = 0;
  let resumed = 0;
  const pause = server.pause.bind(server);
  const resume = server.resume.bind(server);
  server.pause = () => (paused++, pause());
  server.resume = () => (resumed++, resume());
  new SpdySession(server, (s) => streams.push(s));
  const client = new SpdyTestClient(toServer, fromServer);
  const id = await client.open({ streamtype: 'data' });
  await client.waitFor('reply', () => client.replied(id));
  const chunk = Buffer.alloc(8192, 1);
  for (let i = 0; i < 8; i++) client.send(id, chunk);
  await new Promise<void>((r) => {
    const check = () => (streams[0].readableLength >= streams[0].readableHighWaterMark ? r() : setImmediate(check));
    check();
  });
  assert.equal(paused, 1);
  let total = 0;
  streams[0].on('data', (d: Buffer) => (total += d.length));
  await new Promise<void>((r) => {
    const check = () => (total === 8 * 8192 ? r() : setImmediate(check));
    check();
  });
  assert.ok(resumed >= 1);
});

test('GOAWAY from the client closes the session', async () => {
  const { server, toServer, fromServer } = connection();
  let closed = false;
  const session = new SpdySession(server, () => undefined, () => (closed = true));
  const client = new SpdyTestClient(toServer, fromServer);
  toServer.write(encodeGoAway(0));
  await client.waitFor('end', () => client.ended);
  assert.equal(closed, true);
  assert.equal(session.isClosed, true);
});
