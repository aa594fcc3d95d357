import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedScanner, ChunkedError, MAX_CHUNK_LINE } from '../../../../../src/addons/proxy/http1/chunked.js';

/** Scans `body` fed in the given pieces; returns the end offset within the whole and the payload. */
function scanPieces(body: Buffer, cuts: number[]): { end: number; payload: Buffer; scanner: ChunkedScanner } {
  const parts: Buffer[] = [];
  const scanner = new ChunkedScanner((d) => parts.push(Buffer.from(d)));
  let offset = 0;
  let end = -1;
  for (const cut of [...cuts, body.length]) {
    const piece = body.subarray(offset, cut);
    const r = scanner.scan(piece);
    if (r !== -1) {
      end = offset + r;
      break;
    }
    offset = cut;
  }
  return { end, payload: Buffer.concat(parts), scanner };
}

const BODY = Buffer.from(
  '5;name=value;q="a;b"\r\nhello\r\n' +
  'A \t;ext\r\n0123456789\r\n' +
  '1a\r\nabcdefghijklmnopqrstuvwxyz\r\n' +
  '0;last\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n',
  'latin1',
);
const PAYLOAD = 'hello0123456789abcdefghijklmnopqrstuvwxyz';
const AFTER = Buffer.from('GET /next HTTP/1.1\r\n', 'latin1');

test('finds the end of a chunked body with extensions and trailers, and de-chunks it', () => {
  const r = scanPieces(Buffer.concat([BODY, AFTER]), []);
  assert.equal(r.end, BODY.length);
  assert.equal(r.payload.toString('latin1'), PAYLOAD);
  assert.equal(r.scanner.payloadBytes, PAYLOAD.length);
  assert.equal(r.scanner.done, true);
  // Once done, nothing more belongs to the body.
  assert.equal(r.scanner.scan(AFTER, 3), 3);
});

test('split at every byte position, and fed one byte at a time', () => {
  const whole = Buffer.concat([BODY, AFTER]);
  for (let k = 1; k < whole.length; k++) {
    const r = scanPieces(whole, [k]);
    assert.equal(r.end, BODY.length, `split at ${k}`);
    assert.equal(r.payload.toString('latin1'), PAYLOAD, `split at ${k}`);
  }
  const bytes = Array.from({ length: whole.length - 1 }, (_, i) => i + 1);
  const r = scanPieces(whole, bytes);
  assert.equal(r.end, BODY.length);
  assert.equal(r.payload.toString('latin1'), PAYLOAD);
});

test('start offset, bare LF line ends, and an empty body', () => {
  const s = new ChunkedScanner();
  const buf = Buffer.from('HEADxx3\nabc\n0\n\nrest', 'latin1');
  assert.equal(s.scan(buf, 6), buf.length - 4);
  assert.equal(s.payloadBytes, 3);
  const empty = new ChunkedScanner();
  assert.equal(empty.scan(Buffer.from('0\r\n\r\n')), 5);
  assert.equal(empty.payloadBytes, 0);
  empty.reset();
  assert.equal(empty.done, false);
  assert.equal(empty.scan(Buffer.from('00\r\n')), -1);
  assert.equal(empty.scan(Buffer.from('\r\n')), 2);
});

test('a large de-chunked payload equals the original', () => {
  const original = Buffer.alloc(300_000);
  for (let i = 0; i < original.length; i++) original[i] = (i * 7919) & 0xff;
  const pieces: Buffer[] = [];
  for (let off = 0, size = 1; off < original.length; off += size, size = (size * 3 + 17) % 40000 + 1) {
    const data = original.subarray(off, Math.min(off + size, original.length));
    pieces.push(Buffer.from(data.length.toString(16) + '\r\n'), data, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from('0\r\n\r\n'));
  const body = Buffer.concat(pieces);
  const cuts: number[] = [];
  for (let c = 1000; c < body.length; c += 16_384) cuts.push(c);
  const r = scanPieces(body, cuts);
  assert.equal(r.end, body.length);
  assert.ok(r.payload.equals(original));
});

test('malformed framing throws ChunkedError', () => {
  const bad = [
    'x\r\n',
    '\r\n',
    '-1\r\n',
    '5\r\nhelloX\r\n',
    '5\r\nhello\rX',
    '5\r\nhello\r\n0\r\n\rX',
    '5x\r\n',
    '5\rX',
    '20000000000001\r\n', // 2^53 + 1
  ];
  for (const text of bad) {
    assert.throws(() => new ChunkedScanner().scan(Buffer.from(text, 'latin1')), ChunkedError, JSON.stringify(text));
  }
  // 2^53 itself is allowed.
  assert.equal(new ChunkedScanner().scan(Buffer.from('20000000000000\r\n')), -1);
});

test('chunk-size line limit of 4 KiB, also across calls', () => {
  const okLine = '1;' + 'e'.repeat(MAX_CHUNK_LINE - 2) + '\r\na\r\n0\r\n\r\n';
  assert.equal(new ChunkedScanner().scan(Buffer.from(okLine)), okLine.length);
  const longExt = '1;' + 'e'.repeat(MAX_CHUNK_LINE - 1) + '\r\na\r\n0\r\n\r\n';
  assert.throws(() => new ChunkedScanner().scan(Buffer.from(longExt)), ChunkedError);
  const s = new ChunkedScanner();
  const piece = Buffer.from('1;' + 'e'.repeat(1000));
  assert.equal(s.scan(piece), -1);
  const more = Buffer.from('e'.repeat(1000));
  assert.throws(() => { for (let k = 0; k < 4; k++) s.scan(more); }, ChunkedError);
  const longZeros = '0'.repeat(MAX_CHUNK_LINE + 1) + '1\r\n';
  assert.throws(() => new ChunkedScanner().scan(Buffer.from(longZeros)), ChunkedError);
  const longTrailer = '0\r\nX: ' + 'v'.repeat(MAX_CHUNK_LINE) + '\r\n\r\n';
  assert.throws(() => new ChunkedScanner().scan(Buffer.from(longTrailer)), ChunkedError);
});
