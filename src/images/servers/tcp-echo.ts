// Istio's samples/tcp-echo (docker.io/istio/tcp-echo-server): `tcp-echo PORTS PREFIX` listens on
// each of the comma-separated PORTS and answers every line a connection sends (up to and with its
// newline) with `PREFIX line`; a last line without a newline gets no answer, and the connection
// closes when the client's side ends. Its stdout logs each listener, request and response, as the
// Go program's fmt.Printf calls do.
import net, { type AddressInfo } from 'node:net';
import { dieOnSignalsAsGo, goHostPort, remoteAddr } from './common.js';

const NEWLINE = 0x0a;

function say(line: string | Buffer): void {
  process.stdout.write(line);
}

/** net.Listen("tcp", ":port")'s errors in Go's words, for the text after `listen tcp`. */
function listenError(port: string, err: NodeJS.ErrnoException | undefined): string {
  if (!/^\d+$/.test(port)) return `: address tcp/${port}: unknown port`;
  if (Number(port) > 65535) return `: address ${port}: invalid port`;
  const why = err?.code === 'EADDRINUSE' ? 'bind: address already in use' : err?.code === 'EACCES' ? 'bind: permission denied' : (err?.message ?? '');
  return ` :${port}: ${why}`;
}

function handleConnection(socket: net.Socket, prefix: Buffer): void {
  let pending: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    let data = pending === null ? chunk : Buffer.concat([pending, chunk]);
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE)) {
      const line = data.subarray(0, nl + 1);
      data = data.subarray(nl + 1);
      const response = Buffer.concat([prefix, line]);
      say(Buffer.concat([Buffer.from('request: '), line]));
      say(Buffer.concat([Buffer.from('response: '), response]));
      socket.write(response);
    }
    pending = data.length > 0 ? data : null;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'ECONNRESET' ? 'connection reset by peer' : err.message;
    say(`failed to read data, err: read tcp ${goHostPort(socket.localAddress, socket.localPort)}->${remoteAddr(socket)}: read: ${why}\n`);
    socket.destroy();
  });
}

function serve(port: string, prefix: Buffer, label: string): void {
  const fail = (err?: NodeJS.ErrnoException) => {
    say(`failed to create listener, err: listen tcp${listenError(port, err)}\n`);
    process.exit(1);
  };
  // ":" alone is any free port to Go.
  if (port !== '' && (!/^\d+$/.test(port) || Number(port) > 65535)) return fail();
  const server = net.createServer((socket) => handleConnection(socket, prefix));
  server.once('error', fail);
  server.listen(port === '' ? 0 : Number(port), () => {
    const bound = server.address() as AddressInfo;
    say(`listening on ${goHostPort(bound.address, bound.port)}, prefix: ${label}\n`);
  });
}

function main(args: string[]): void {
  // The Go program indexes os.Args without checking them.
  if (args.length < 2) {
    process.stderr.write(`panic: runtime error: index out of range [${args.length + 1}] with length ${args.length + 1}\n\ngoroutine 1 [running]:\nmain.main()\n`);
    process.exit(2);
  }
  dieOnSignalsAsGo();
  const [ports, label] = args as [string, string];
  const prefix = Buffer.from(`${label} `);
  for (const port of ports.split(',')) serve(port, prefix, label);
}

main(process.argv.slice(2));
