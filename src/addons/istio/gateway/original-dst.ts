import type { Socket } from 'node:net';
import type { Cluster } from '../config/types.js';
import { clientAddress } from '../../proxy/http1/client-connection.js';

// Envoy's ORIGINAL_DST cluster, which pilot makes for a ServiceEntry with resolution NONE: the
// one endpoint is where the client was connecting to. On the mesh's node proxy that is the
// connection's local address and port (capture leaves the destination unchanged, see
// src/node/mesh/rules.ts); a gateway has no original destination but itself, so there the
// cluster has no endpoint (503 no healthy upstream) rather than a loop.

export function withOriginalDst(cluster: Cluster, socket: Socket, mesh: boolean): Cluster {
  if (!cluster.originalDst) return cluster;
  const address = clientAddress(socket.localAddress);
  const port = socket.localPort ?? 0;
  if (!mesh || !address || !port) return { ...cluster, endpoints: [] };
  return { ...cluster, endpoints: [{ address, port, key: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` }] };
}
