// The chunked transfer coding (RFC 9112 §7.1) as a proxy sees it: the bytes pass through
// unchanged, and the scanner only has to know where the body ends. A byte-at-a-time state
// machine for the framing; chunk data is skipped in one step (and handed out as a subarray,
// never copied) so large bodies cost almost nothing.

export class ChunkedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkedError';
  }
}

/** Longest chunk-size line (size and extensions) or trailer field line, without its CRLF. */
export const MAX_CHUNK_LINE = 4096;

// nginx also caps the size (at off_t); 2^53 keeps every byte count an exact JS number.
const MAX_CHUNK_SIZE = 2 ** 53;

const CR = 13;
const LF = 10;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

const enum S {
  SizeStart, // first hex digit of a chunk-size
  Size, // further hex digits
  Ext, // after the size: BWS, chunk extensions, up to the line end
  SizeLf, // CR seen at the end of a size line
  Data,
  DataCr, // CRLF after chunk data
  DataLf,
  TrailerStart, // start of a trailer field line, or of the final empty line
  Trailer, // inside a trailer field line
  EndLf, // CR of the final empty line seen
  Done,
}

/** Finds where a chunked body ends, passing bytes through unchanged; optionally hands out the de-chunked payload. */
export class ChunkedScanner {
  /** Payload bytes seen so far (without framing). */
  payloadBytes = 0;
  private state: S = S.SizeStart;
  /** Data bytes still to come in the current chunk; the size being read in Size. */
  private size = 0;
  private lineLength = 0;
  private readonly onPayload: ((data: Buffer) => void) | undefined;

  constructor(onPayload?: (data: Buffer) => void) {
    this.onPayload = onPayload;
  }

  /** Whether the whole body, trailers included, has been seen. */
  get done(): boolean {
    return this.state === S.Done;
  }

  /** Prepares the scanner for the next message on a kept-alive connection. */
  reset(): void {
    this.payloadBytes = 0;
    this.state = S.SizeStart;
    this.size = 0;
    this.lineLength = 0;
  }

  /**
   * Feeds chunk[start..]; returns the index just past the end of the chunked body if it ends
   * inside this chunk, else -1. Once done, returns `start`: nothing more belongs to the body.
   */
  scan(chunk: Buffer, start = 0): number {
    const n = chunk.length;
    let i = start;
    let state = this.state;
    if (state === S.Done) return start;
    try {
      while (i < n) {
        const c = chunk[i];
        switch (state) {
          case S.Data: {
            const take = Math.min(this.size, n - i);
            if (this.onPayload !== undefined) this.onPayload(chunk.subarray(i, i + take));
            this.payloadBytes += take;
            this.size -= take;
            i += take;
            if (this.size === 0) state = S.DataCr;
            continue;
          }
          case S.SizeStart: {
            const h = HEX[c];
            if (h < 0) throw new ChunkedError(`invalid chunk size: byte 0x${c.toString(16)} where a hex digit was expected`);
            this.size = h;
            this.lineLength = 1;
            state = S.Size;
            break;
          }
          case S.Size: {
            const h = HEX[c];
            if (h >= 0) {
              // Checked before the step: past 2^53 the sum would round and could slip under.
              if (this.size > (MAX_CHUNK_SIZE - h) / 16) throw new ChunkedError('chunk size is larger than 2^53');
              this.size = this.size * 16 + h;
              if (++this.lineLength > MAX_CHUNK_LINE) throw lineTooLong();
            } else if (c === CR) {
              state = S.SizeLf;
            } else if (c === LF) {
              state = this.size === 0 ? S.TrailerStart : S.Data;
            } else if (c === 59 || c === 32 || c === 9) {
              // ';' starts an extension; SP/HTAB is the BWS RFC 9112 allows before it.
              state = S.Ext;
              if (++this.lineLength > MAX_CHUNK_LINE) throw lineTooLong();
            } else {
              throw new ChunkedError(`invalid chunk size: byte 0x${c.toString(16)} after the size`);
            }
            break;
          }
          case S.Ext: {
            // Extensions carry nothing a proxy needs: skip to the line end.
            let k = i;
            while (k < n && chunk[k] !== CR && chunk[k] !== LF) k++;
            this.lineLength += k - i;
            if (this.lineLength > MAX_CHUNK_LINE) throw lineTooLong();
            i = k;
            if (k === n) continue;
            state = chunk[k] === CR ? S.SizeLf : this.size === 0 ? S.TrailerStart : S.Data;
            break;
          }
          case S.SizeLf:
            if (c !== LF) throw new ChunkedError('chunk size line: CR not followed by LF');
            state = this.size === 0 ? S.TrailerStart : S.Data;
            break;
          case S.DataCr:
            if (c === CR) state = S.DataLf;
            else if (c === LF) state = S.SizeStart;
            else throw new ChunkedError('missing CRLF after chunk data');
            break;
          case S.DataLf:
            if (c !== LF) throw new ChunkedError('missing CRLF after chunk data');
            state = S.SizeStart;
            break;
          case S.TrailerStart:
            if (c === LF) {
              state = S.Done;
              return i + 1;
            }
            if (c === CR) {
              state = S.EndLf;
            } else {
              state = S.Trailer;
              this.lineLength = 1;
            }
            break;
          case S.Trailer: {
            let k = i;
            while (k < n && chunk[k] !== LF) k++;
            this.lineLength += k - i;
            if (this.lineLength > MAX_CHUNK_LINE + 1) throw new ChunkedError(`trailer field line longer than ${MAX_CHUNK_LINE} bytes`);
            i = k;
            if (k === n) continue;
            state = S.TrailerStart;
            break;
          }
          case S.EndLf:
            if (c !== LF) throw new ChunkedError('chunked body: CR not followed by LF at the end of the trailer section');
            state = S.Done;
            return i + 1;
        }
        i++;
      }
      return -1;
    } finally {
      this.state = state;
    }
  }
}

function lineTooLong(): ChunkedError {
  return new ChunkedError(`chunk size line longer than ${MAX_CHUNK_LINE} bytes`);
}
