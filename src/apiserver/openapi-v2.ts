import type { ServerResponse } from 'node:http';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

// GET /openapi/v2. kubectl 1.28 builds its client-side validator from this document
// before it sends anything else, for every apply, create -f, replace and diff with
// validation on, and stops on a 404. It only consults that validator when the server does
// not support fieldValidation, which this server declares in OpenAPI v3; and every kubectl
// in range reads schemas for explain and patching from v3. So a document without
// definitions is enough here: it lets kubectl 1.28 past the download and leaves validation
// to the server, as with later kubectl versions.

const TITLE = 'Kubernetes';

/**
 * The gnostic openapi_v2.Document kubectl unmarshals: swagger (1), info (2: title 1,
 * version 2) and empty paths (8).
 */
export function openapiV2Protobuf(version: string): Buffer {
  const info = Writer.create().uint32((1 << 3) | 2).string(TITLE).uint32((2 << 3) | 2).string(version).finish();
  const doc = Writer.create()
    .uint32((1 << 3) | 2)
    .string('2.0')
    .uint32((2 << 3) | 2)
    .bytes(info)
    .uint32((8 << 3) | 2)
    .bytes(new Uint8Array(0))
    .finish();
  return Buffer.from(doc);
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
