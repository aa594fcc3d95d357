// The server name a TLS client asks for, read from its ClientHello before any TLS is done, as
// Envoy's tls_inspector listener filter reads it to pick a filter chain: the gateway chooses the
// server (and so whether a client certificate is required) by it. Only what that needs is
// parsed; OpenSSL reads the same bytes again for the handshake.

/** Envoy's tls_inspector gives up on a ClientHello larger than this (its max_client_hello_size default). */
export const MAX_CLIENT_HELLO = 64 * 1024;

export type ClientHelloRead =
  /** The bytes so far are the start of a ClientHello: wait for more. */
  | { kind: 'more' }
  /** A whole ClientHello; `servername` absent when it has no server_name extension. */
  | { kind: 'hello'; servername?: string }
  /** Not a TLS ClientHello (or one past MAX_CLIENT_HELLO). */
  | { kind: 'not-tls' };

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const HOST_NAME = 0;

/**
 * Reads the ClientHello at the start of `data`, the bytes a connection has sent so far. A
 * handshake message may be split across several TLS records: their fragments are joined first.
 */
export function readClientHello(data: Buffer): ClientHelloRead {
  const fragments: Buffer[] = [];
  let have = 0;
  let need = -1;
  for (let at = 0; ; ) {
    if (data.length < at + 5) return data.length > MAX_CLIENT_HELLO ? { kind: 'not-tls' } : { kind: 'more' };
    // A record: type, legacy version (major 3), length.
    if (data[at] !== HANDSHAKE_RECORD || data[at + 1] !== 3) return { kind: 'not-tls' };
    const length = data.readUInt16BE(at + 3);
    if (length === 0) return { kind: 'not-tls' };
    if (data.length < at + 5 + length) return { kind: 'more' };
    const fragment = data.subarray(at + 5, at + 5 + length);
    fragments.push(fragment);
    have += fragment.length;
    at += 5 + length;
    if (need < 0 && have >= 4) {
      const head = fragments.length === 1 ? fragment : Buffer.concat(fragments);
      if (head[0] !== CLIENT_HELLO) return { kind: 'not-tls' };
      need = 4 + head.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) return { kind: 'not-tls' };
    }
    if (need >= 0 && have >= need) return parseHello((fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments)).subarray(4, need));
  }
}

function parseHello(body: Buffer): ClientHelloRead {
  try {
    // legacy_version (2), random (32), session id, cipher suites, compression methods.
    let at = 34;
    at += 1 + body.readUInt8(at);
    at += 2 + body.readUInt16BE(at);
    at += 1 + body.readUInt8(at);
    if (at === body.length) return { kind: 'hello' };
    const end = at + 2 + body.readUInt16BE(at);
    if (end > body.length) return { kind: 'not-tls' };
    for (at += 2; at + 4 <= end; ) {
      const type = body.readUInt16BE(at);
      const length = body.readUInt16BE(at + 2);
      at += 4;
      if (type === SERVER_NAME_EXTENSION) return { kind: 'hello', servername: serverName(body.subarray(at, at + length)) };
      at += length;
    }
    return { kind: 'hello' };
  } catch {
    // A length that runs past the message: readUInt* throws.
    return { kind: 'not-tls' };
  }
}

/** The host_name entry of a server_name extension's list (RFC 6066 allows one). */
function serverName(ext: Buffer): string | undefined {
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  for (let at = 2; at + 3 <= end; ) {
    const type = ext.readUInt8(at);
    const length = ext.readUInt16BE(at + 1);
    at += 3;
    if (type === HOST_NAME) return ext.subarray(at, at + length).toString('latin1').toLowerCase();
    at += length;
  }
  return undefined;
}
