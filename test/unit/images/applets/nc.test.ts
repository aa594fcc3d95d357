// Our nc (src/images/applets/nc.ts) against real sockets on 127.0.0.1, with the words and exit
// statuses of busybox 1.36's nc_bloaty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { appletArgv, ncArgv } from '../../../../src/images/busybox.js';
import { hexdumpLines, inetAton, NcExit, parseOptions, splitHostPort } from '../../../../src/images/applets/nc-options.js';
import { freePort } from '../helpers.js';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<Result>;
}

/** Starts nc; `input` is written to its stdin and closed, `null` keeps stdin open, none is /dev/null. */
function startNc(args: string[], input?: string | null): Running {
  const [exe, ...pre] = ncArgv();
  const child = spawn(exe, [...pre, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (typeof input === 'string') child.stdin!.end(input);
  const done = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stderr: () => stderr, done };
}

function nc(args: string[], input?: string | null): Promise<Result> {
  return startNc(args, input).done;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10)); // poll interval, not a guess at readiness
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A server that answers "echo:" and what it received once the client has half-closed. */
async function echoAfterEnd(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (c) => {
    let got = '';
    c.on('error', () => undefined);
    c.on('data', (d) => (got += d.toString()));
    c.on('end', () => c.end(`echo:${got}`));
  });
  return { server, port: await listen(server) };
}

test('-zv on an open port says "HOST (ADDR:PORT) open" on stderr and exits 0', async () => {
  const server = createServer((c) => c.destroy());
  const port = await listen(server);
  try {
    const r = await nc(['-zv', '127.0.0.1', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `127.0.0.1 (127.0.0.1:${port}) open\n`);
    assert.equal(r.stdout, '');
    // The name as typed, the address it resolved to; a port glued to the host counts too.
    const glued = await nc(['-vz', `127.1:${port}`]);
    assert.equal(glued.stderr, `127.1:${port} (127.0.0.1:${port}) open\n`);
  } finally {
    await close(server);
  }
});

test('-zv on a refused port is silent with exit 1; -vv names the error and the totals', async () => {
  const port = await freePort();
  const quiet = await nc(['-zv', '127.0.0.1', String(port)]);
  assert.deepEqual([quiet.code, quiet.stderr, quiet.stdout], [1, '', '']);
  const loud = await nc(['-zvv', '127.0.0.1', String(port)]);
  assert.equal(loud.code, 1);
  assert.equal(loud.stderr, `nc: 127.0.0.1 (127.0.0.1:${port}): Connection refused\nsent 0, rcvd 0\n`);
  const plain = await nc(['-z', '127.0.0.1', String(port)]);
  assert.deepEqual([plain.code, plain.stderr], [1, '']);
});

/**
 * A listener whose accept queue is full: its process never accepts (its only thread sleeps),
 * and once the queue holds what backlog 1 allows the kernel drops further SYNs, so connects hang.
 */
async function fullBacklog(): Promise<{ port: number; stop: () => void }> {
  const script =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "process.stdout.write(s.address().port+'\\n');setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0),50)})";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => {
    for (const s of fillers) s.destroy();
    child.kill('SIGKILL');
  };
  const fillers: Socket[] = [];
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  await new Promise((r) => setTimeout(r, 200)); // the listener's thread is asleep by now
  for (let i = 0; i < 16; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 300);
      s.once('connect', () => (clearTimeout(t), resolve(true)));
    });
    if (!connected) return { port, stop };
  }
  stop();
  throw new Error('the accept queue never filled');
}

test('-w bounds the connect: "Connection timed out" with -v, exit 1', async () => {
  const { port, stop } = await fullBacklog();
  try {
    const r = await nc(['-zv', '-w', '1', '127.0.0.1', String(port)]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `nc: 127.0.0.1 (127.0.0.1:${port}): Connection timed out\n`);
  } finally {
    stop();
  }
});

test('-w also ends a quiet connection after two idle spells, exit 0', async () => {
  const server = createServer((c) => c.on('error', () => undefined));
  const port = await listen(server);
  const sockets: Socket[] = [];
  server.on('connection', (c) => sockets.push(c));
  try {
    const r = await nc(['-vv', '-w', '1', '127.0.0.1', String(port)], null);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, `127.0.0.1 (127.0.0.1:${port}) open\nnet timeout\nsent 0, rcvd 0\n`);
  } finally {
    for (const s of sockets) s.destroy();
    await close(server);
  }
});

test('stdin goes to the socket, its end half-closes, and the reply comes out on stdout', async () => {
  const { server, port } = await echoAfterEnd();
  try {
    const r = await nc(['-vv', '127.0.0.1', String(port)], 'data from stdin\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'echo:data from stdin\n');
    assert.equal(r.stderr, `127.0.0.1 (127.0.0.1:${port}) open\nsent 16, rcvd 21\n`);
  } finally {
    await close(server);
  }
});

test('-u sends stdin as a datagram and prints the answer; -u -z tells open from refused', async () => {
  const got: string[] = [];
  const server = createSocket('udp4');
  server.on('message', (m, r) => {
    got.push(m.toString());
    server.send(`reply:${m}`, r.port, r.address);
  });
  const port = await new Promise<number>((resolve) => server.bind(0, '127.0.0.1', () => resolve(server.address().port)));
  try {
    const r = await nc(['-u', '-w', '1', '127.0.0.1', String(port)], 'hello\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(got, ['hello\n']);
    assert.equal(r.stdout, 'reply:hello\n');

    const open = await nc(['-u', '-zv', '-w', '1', '127.0.0.1', String(port)]);
    assert.deepEqual([open.code, open.stderr], [0, `127.0.0.1 (127.0.0.1:${port}) open\n`]);
    const closed = await freeUdpPort();
    const refused = await nc(['-u', '-zvv', '-w', '1', '127.0.0.1', String(closed)]);
    assert.deepEqual([refused.code, refused.stderr], [1, `nc: 127.0.0.1 (127.0.0.1:${closed}): Connection refused\nsent 0, rcvd 0\n`]);
  } finally {
    server.close();
  }
});

function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  }));
}

test('-l -p receives one connection: the client\'s bytes on stdout, stdin to the client', async () => {
  const port = await freePort();
  const listener = startNc(['-lv', '-n', '-s', '127.0.0.1', '-p', String(port)], 'to the client\n');
  await until('nc to listen', () => listener.stderr().includes('listening on'));
  const client = connect(port, '127.0.0.1');
  let cport = 0;
  client.on('connect', () => (cport = client.localPort ?? 0));
  client.setEncoding('utf8');
  let received = '';
  client.on('data', (d: string) => (received += d));
  const clientEnded = new Promise<void>((resolve) => client.on('end', resolve));
  client.end('from the client\n');
  const r = await listener.done;
  await clientEnded;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from the client\n');
  assert.equal(received, 'to the client\n');
  const [listening, connected] = r.stderr.split('\n');
  assert.equal(listening, `listening on 127.0.0.1:${port} ...`);
  assert.equal(connected, `connect to 127.0.0.1:${port} from 127.0.0.1:${cport} (127.0.0.1:${cport})`);
});

test('-l -u takes the first datagram\'s sender as its peer', async () => {
  const port = await freeUdpPort();
  const listener = startNc(['-l', '-u', '-v', '-n', '-s', '127.0.0.1', '-p', String(port), '-w', '1']);
  await until('nc to listen', () => listener.stderr().includes('listening on'));
  const sender = createSocket('udp4');
  await new Promise<void>((resolve) => sender.send('one\n', port, '127.0.0.1', () => sender.send('two\n', port, '127.0.0.1', () => resolve())));
  const r = await listener.done;
  sender.close();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'one\ntwo\n');
});

test('-l -w with nobody calling ends with "nc: timeout", exit 1', async () => {
  const r = await nc(['-l', '-w', '1', '-s', '127.0.0.1', '-p', String(await freePort())]);
  assert.deepEqual([r.code, r.stderr], [1, 'nc: timeout\n']);
});

test('-e PROG gets the connection as stdin and stdout; its exit status is nc\'s', async () => {
  let heard = '';
  const server = createServer((c) => {
    c.on('error', () => undefined);
    c.on('data', (d) => (heard += d.toString()));
    c.end('hello\n');
  });
  const port = await listen(server);
  try {
    const r = await nc(['127.0.0.1', String(port), '-e', 'sh', '-c', 'echo via-prog; cat >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'hello\n');
    await until('the server to hear PROG', () => heard === 'via-prog\n');
    const missing = await nc(['127.0.0.1', String(port), '-e', 'no-such-program-here']);
    assert.deepEqual([missing.code, missing.stderr], [127, "nc: can't execute 'no-such-program-here': No such file or directory\n"]);
  } finally {
    await close(server);
  }
});

test('bad options, ports and names: the words of getopt and libbb, then usage', async () => {
  const bad = await nc(['-x', '127.0.0.1', '80']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^nc: invalid option -- 'x'\nBusyBox v1\.36\.1 \(skiff\) multi-call binary\.\n\nUsage: nc \[OPTIONS\] HOST PORT {2}- connect\n/);
  const long = await nc(['--timeout=1', '127.0.0.1', '80']);
  assert.match(long.stderr, /^nc: unrecognized option '--timeout=1'\n/);
  assert.deepEqual(await nc(['-w', 'abc', '127.0.0.1', '80']).then((r) => [r.code, r.stderr]), [1, "nc: invalid number 'abc'\n"]);
  assert.deepEqual(await nc(['127.0.0.1', '99999']).then((r) => [r.code, r.stderr]), [1, "nc: bad port '99999'\n"]);
  assert.deepEqual(await nc(['-z', '[::1']).then((r) => [r.code, r.stderr]), [1, "nc: bad address '[::1'\n"]);
  const help = await nc(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stderr, /\n\t-z\tZero-I\/O mode \(scanning\)\n$/);
  assert.equal((await nc([])).code, 1);
});

test('option parsing: clusters, arguments anywhere, -e takes the rest', () => {
  const o = parseOptions(['-vvz', 'host', '-w5', '80', '-lk']);
  assert.deepEqual([o.verbose, o.zero, o.wait, o.listen, o.args], [2, true, 5, 2, ['host', '80']]);
  const e = parseOptions(['-lp', '8080', '-e', 'sh', '-c', 'echo -v']);
  assert.deepEqual([e.listen, e.localPort, e.prog, e.args], [1, '8080', ['sh', '-c', 'echo -v'], []]);
  const glued = parseOptions(['-lve', 'cat', '-n']);
  assert.deepEqual([glued.listen, glued.verbose, glued.prog], [1, 1, ['cat', '-n']]);
  assert.deepEqual(parseOptions(['-u', '--', '-x', '9']).args, ['-x', '9']);
  assert.throws(() => parseOptions(['a', 'b', 'c']), NcExit);
});

test('addresses as libbb reads and prints them', () => {
  assert.equal(inetAton('127.1'), '127.0.0.1');
  assert.equal(inetAton('0x7f.0.0.010'), '127.0.0.8');
  assert.equal(inetAton('10.96.0.12'), '10.96.0.12');
  assert.equal(inetAton('256.1.1.1'), undefined);
  assert.equal(inetAton('web'), undefined);
  assert.deepEqual(splitHostPort('web:80', 0), { host: 'web', port: 80 });
  assert.deepEqual(splitHostPort('[::1]:81', 0), { host: '::1', port: 81 });
  assert.deepEqual(splitHostPort('::1', 82), { host: '::1', port: 82 });
  assert.equal(
    hexdumpLines('>', 16, Buffer.from('line one\nline two, longer\x01')),
    '> 00000010 6c 69 6e 65 20 6f 6e 65 0a 6c 69 6e 65 20 74 77 # line one.line tw\n' +
      '> 00000020 6f 2c 20 6c 6f 6e 67 65 72 01                   # o, longer.\n',
  );
});

test('`nc` and `busybox nc` are our nc', () => {
  assert.deepEqual(appletArgv('nc', ['-z']), [...ncArgv(), '-z']);
  assert.deepEqual(appletArgv('busybox', ['nc', '-z']), [...ncArgv(), '-z']);
});
