import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { nginxStatusText } from './policies/responses.js';

// A complete HTTP/1.1 response written straight to a socket, for requests that asked for an
// upgrade (Node hands those over as bare sockets, without a ServerResponse).

export function writeRawResponse(socket: Socket, status: number, headers: Record<string, string>, body: string, close: boolean): void {
  if (socket.destroyed) return;
  const text = nginxStatusText(status) || STATUS_CODES[status] || '';
  const lines = [`HTTP/1.1 ${status} ${text}`, 'Server: nginx', `Date: ${new Date().toUTCString()}`];
  let hasType = false;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'content-type') hasType = true;
    if (k.toLowerCase() === 'content-length') continue;
    lines.push(`${k}: ${v}`);
  }
  if (!hasType && body) lines.push('Content-Type: text/html');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  if (close) lines.push('Connection: close');
  socket.write(lines.join('\r\n') + '\r\n\r\n' + body);
  if (close) socket.end();
}
