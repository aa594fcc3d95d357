import type { ServerResponse } from 'node:http';

// GET /openapi/v2. kubectl 1.28 builds its client-side validator from this document
// before it sends anything else, for every apply, create -f, replace and diff with
// validation on, and stops on a 404. It only consults that validator when the server does
// not support fieldValidation, which this server declares in OpenAPI v3; and every kubectl
// in range reads schemas for explain and patching from v3. So a document without
// definitions is enough here: it lets kubectl 1.28 past the download and leaves validation
// to the server, as with later kubectl versions.

const TITLE = 'Kubernetes';

/** A protobuf length-delimited field (wire type 2); every field used here is one. */
function field(no: number, payload: Buffer): Buffer {
  const len: number[] = [];
  let n = payload.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(no << 3) | 2, ...len]), payload]);
}

const str = (no: number, s: string) => field(no, Buffer.from(s, 'utf8'));

/**
 * The gnostic openapi_v2.Document kubectl unmarshals: swagger (1), info (2: title 1,
 * version 2) and empty paths (8).
 */
export function openapiV2Protobuf(version: string): Buffer {
  return Buffer.concat([str(1, '2.0'), field(2, Buffer.concat([str(1, TITLE), str(2, version)])), field(8, Buffer.alloc(0))]);
}

export function openapiV2Json(version: string): string {
  return JSON.stringify({ swagger: '2.0', info: { title: TITLE, version }, paths: {} });
}

const PROTOBUF_V2 = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

export function sendOpenapiV2(res: ServerResponse, accept: string | undefined, version: string): void {
  const pb = (accept ?? '').includes(PROTOBUF_V2);
  const body = pb ? openapiV2Protobuf(version) : Buffer.from(openapiV2Json(version));
  // The media type asked for is no valid Content-Type (client-go cannot parse the '@'); upstream
  // answers protobuf as octet-stream.
  res.writeHead(200, { 'Content-Type': pb ? 'application/octet-stream' : 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache, private' });
  res.end(body);
}
