// `nc` in busybox-based containers: busybox 1.36's full netcat (nc_bloaty.c with NC_EXTRA and
// NC_110_COMPAT, as in the busybox and Alpine images), which the host's busybox builds lack
// (theirs has no -z, -v, -u). Same options, messages on stderr, exit statuses and half-close
// behaviour: stdin's end shuts down our sending side, and nc ends once both stdin and the
// network have ended (or -w's idle timer ran out twice).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup, lookupService } from 'node:dns/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { Socket, createServer, isIPv4, isIPv6, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import {
  NcExit,
  die,
  dieErrno,
  dotted,
  hexdumpLines,
  hostAndPort,
  inetAton,
  lookupPort,
  parseOptions,
  perror,
  splitHostPort,
  usage,
  type NcOptions,
} from './nc-options.js';

interface Target {
  address: string;
  family: 4 | 6;
  port: number;
}

interface Peer {
  address: string;
  port: number;
}

/** nc_bloaty's BIGSIZ: the most one read moves, so the most one UDP datagram carries. */
const BIGSIZ = 8192;
/** Where udptest's "tcp ping" knocks to time a round trip when no -w is given. */
const SLEAZE_PORT = 31337;

const counts = { net: 0, out: 0 };
let hexFd: number | undefined;
let verbose = 0;

function say(text: string): void {
  writeSync(2, text);
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function sentAndReceived(): string {
  return `sent ${counts.net}, rcvd ${counts.out}\n`;
}

/** Ends nc the way libbb's *_and_die do: the message, no totals. */
function quit(code: number, message: string): never {
  say(message);
  process.exit(code);
}

/** The normal end: -vv's totals, stdout drained. */
async function finish(code: number): Promise<never> {
  if (verbose > 1) say(sentAndReceived());
  if (hexFd !== undefined) closeSync(hexFd);
  if (!process.stdout.destroyed && process.stdout.writableLength > 0) {
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  }
  process.exit(code);
}

/** xhost2sockaddr: numbers as inet_aton or inet_pton read them, else the resolver, IPv4 first. */
async function resolveTarget(spec: string, port: number): Promise<Target> {
  const hp = splitHostPort(spec, port);
  const v4 = inetAton(hp.host);
  if (v4) return { address: v4, family: 4, port: hp.port };
  if (isIPv6(hp.host)) return { address: hp.host, family: 6, port: hp.port };
  let all: Array<{ address: string; family: number }> = [];
  try {
    all = await lookup(hp.host, { all: true });
  } catch {
    // Reported below, as an empty answer is.
  }
  const chosen = all.find((a) => a.family === 4) ?? all[0];
  if (!chosen) die(`bad address '${spec}'`);
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4, port: hp.port };
}

/** Our end: -s ADDR and -p PORT, else any address (of the peer's family when one is named). */
async function localEnd(o: NcOptions, family: 4 | 6 | undefined): Promise<{ address?: string; port: number }> {
  const port = lookupPort(o.localPort, o.udp ? 'udp' : 'tcp');
  if (o.localAddress !== undefined) {
    const t = await resolveTarget(o.localAddress, port);
    return { address: t.address, port: t.port };
  }
  return { address: family === 4 ? '0.0.0.0' : family === 6 ? '::' : undefined, port };
}

function hexdump(direction: '<' | '>', bytes: Uint8Array): void {
  if (hexFd === undefined) return;
  writeSync(hexFd, hexdumpLines(direction, direction === '>' ? counts.net : counts.out, bytes));
}

/** Resolves after that many seconds; never for 0, as alarm(0) sets no alarm. */
function timer(seconds: number): { done: Promise<void>; cancel: () => void } {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    if (seconds > 0) handle = setTimeout(resolve, seconds * 1000);
  });
  return { done, cancel: () => clearTimeout(handle) };
}

/** connect_w_timeout; `paused` keeps the bytes in the kernel for a PROG that gets the socket. */
function connectTcp(t: Target, local: { address?: string; port: number }, wait: number, paused: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = new Socket({ allowHalfOpen: true });
    if (paused) sock.pause();
    const alarm = timer(wait);
    void alarm.done.then(() => {
      sock.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    sock.once('error', (err) => {
      alarm.cancel();
      reject(err);
    });
    sock.connect({ host: t.address, port: t.port, family: t.family, localAddress: local.address, localPort: local.port || undefined }, () => {
      alarm.cancel();
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}

async function udpSocket(family: 4 | 6, o: NcOptions, local: { address?: string; port: number }): Promise<UdpSocket> {
  const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port: local.port, address: local.address }, () => {
      sock.removeListener('error', reject);
      resolve();
    });
  });
  if (o.broadcast) sock.setBroadcast(true);
  return sock;
}

function udpConnect(sock: UdpSocket, t: Peer): Promise<void> {
  return new Promise((resolve, reject) => sock.connect(t.port, t.address, (err?: Error) => (err ? reject(err) : resolve())));
}

/**
 * A connected UDP socket as a stream: each write one datagram, each datagram one chunk. An
 * ICMP refusal arrives as a receive error, which ends the network side as a failed read does.
 */
function udpStream(sock: UdpSocket, queued: Buffer[] = []): Duplex {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      sock.send(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      cb();
    },
    destroy(err, cb) {
      try {
        sock.close();
      } catch {
        // Closed already.
      }
      cb(err);
    },
  });
  for (const m of queued) stream.push(m);
  sock.on('message', (m) => stream.push(m));
  sock.on('error', (err) => stream.destroy(err));
  return stream;
}

/**
 * udptest: one byte, a pause (-w, or the time a TCP knock at port 31337 takes to be refused),
 * another byte. A closed port answers the first with ICMP, which fails the second (or, here,
 * the receive that notices it first). Returns the errno of a refusal.
 */
async function udptest(sock: UdpSocket, t: Target, o: NcOptions): Promise<string | undefined> {
  let failed: string | undefined;
  const onError = (err: Error) => (failed ??= errnoOf(err));
  sock.on('error', onError);
  const send = () => new Promise<void>((resolve) => sock.send(Buffer.alloc(1), (err) => (err && onError(err), resolve())));
  await send();
  if (o.wait) await timer(o.wait).done;
  else await connectTcp({ ...t, port: SLEAZE_PORT }, { port: 0 }, 5, false).then((s) => s.destroy(), () => undefined);
  if (!failed) await send();
  sock.removeListener('error', onError);
  return failed;
}

/**
 * readwrite: network to stdout and stdin to network until both have ended. With -w, a quiet
 * spell of that many seconds counts down a retry counter of two, after which nc ends quietly.
 */
function readwrite(net: Duplex, o: NcOptions): Promise<number> {
  return new Promise((resolve) => {
    let stdinOpen = true;
    let netOpen = true;
    let netWritable = true;
    let retries = 2;
    let idle: NodeJS.Timeout | undefined;
    let over = false;
    const end = (code: number) => {
      if (over) return;
      over = true;
      clearTimeout(idle);
      process.stdin.pause();
      net.destroy();
      resolve(code);
    };
    const stuck = () => {
      if (verbose) say('nc: too many output retries\n');
      end(1);
    };
    const touch = () => {
      if (!o.wait) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (--retries > 0) return touch();
        if (verbose > 1) say('net timeout\n');
        end(0);
      }, o.wait * 1000);
    };

    // -i makes every turn of busybox's loop (a line sent, a block received, an end seen) sleep
    // that long, after a first sleep before anything; without -i, events are handled as they come.
    const paced = o.interval > 0;
    let turns: Promise<void> = paced ? timer(o.interval).done : Promise.resolve();
    const turn = (step: () => unknown) => {
      if (!paced) return void step();
      turns = turns.then(async () => {
        if (over) return;
        await step();
        await timer(o.interval).done;
      });
    };

    net.on('data', (chunk: Buffer) => {
      touch();
      turn(() => {
        hexdump('<', chunk);
        counts.out += chunk.length;
        if (!process.stdout.write(chunk)) {
          net.pause();
          process.stdout.once('drain', () => net.resume());
        }
      });
    });
    const netEnded = () => {
      touch();
      netOpen = false;
      if (!stdinOpen) end(0);
    };
    net.on('end', () => turn(netEnded));
    net.on('error', (err) => {
      if (over) return;
      if (verbose > 1) say(perror('net read', errnoOf(err)));
      netWritable = false;
      if (netOpen) netEnded();
    });
    process.stdout.on('error', stuck);

    const send = async (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += BIGSIZ) {
        if (!netWritable) return stuck();
        const piece = chunk.subarray(at, at + BIGSIZ);
        hexdump('>', piece);
        counts.net += piece.length;
        if (!net.write(piece)) await new Promise((r) => net.once('drain', r));
      }
    };
    const stdinEnded = () => {
      touch();
      if (!stdinOpen) return;
      stdinOpen = false;
      // Lets the peer know we have no more data (busybox does; nc 1.10 did not).
      if (netWritable) net.end();
      if (!netOpen) end(0);
    };
    process.stdin.on('data', (chunk: Buffer) => {
      touch();
      if (paced) {
        // findline: one line per turn.
        for (let at = 0; at < chunk.length; ) {
          const nl = chunk.indexOf(10, at);
          const next = nl < 0 ? chunk.length : nl + 1;
          const line = chunk.subarray(at, next);
          turn(() => send(line));
          at = next;
        }
        return;
      }
      process.stdin.pause();
      void send(chunk).then(() => {
        if (!over) process.stdin.resume();
      });
    });
    process.stdin.on('end', () => turn(stdinEnded));
    process.stdin.on('error', stdinEnded);
    // A listener's connection arrives paused.
    net.resume();
    touch();
  });
}

/** doexec: PROG, found on PATH, gets the connection as stdin and stdout; its exit is nc's. */
function execProg(prog: string[], stdio: Socket | 'pipe'): ChildProcess {
  const child = spawn(prog[0], prog.slice(1), { stdio: [stdio, stdio, 'inherit'] });
  child.once('error', (err) => {
    const code = errnoOf(err);
    quit(code === 'ENOENT' ? 127 : 126, perror(`can't execute '${prog[0]}'`, code));
  });
  return child;
}

function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) {
        // An exec'd PROG's death by signal is nc's.
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      resolve(code ?? 1);
    }),
  );
}

async function execOnTcp(prog: string[], sock: Socket): Promise<number> {
  const child = execProg(prog, sock);
  await new Promise<void>((resolve) => child.once('spawn', resolve));
  sock.destroy();
  return childExit(child);
}

/** -u with -e: a datagram socket cannot be a child's stdio, so pipes carry the datagrams. */
function execOnUdp(prog: string[], net: Duplex): Promise<number> {
  const child = execProg(prog, 'pipe');
  child.stdout!.on('data', (chunk: Buffer) => net.write(chunk));
  child.stdin!.on('error', () => undefined);
  net.on('data', (chunk: Buffer) => child.stdin!.write(chunk));
  net.on('error', () => child.stdin!.end());
  return childExit(child);
}

async function peerName(o: NcOptions, peer: Peer): Promise<string> {
  if (o.numeric) return dotted(peer.address, peer.port);
  try {
    return hostAndPort((await lookupService(peer.address, peer.port)).hostname, peer.address, peer.port);
  } catch {
    return dotted(peer.address, peer.port);
  }
}

async function sayConnect(o: NcOptions, local: AddressInfo, remote: Peer): Promise<void> {
  if (!verbose) return;
  const from = await peerName(o, remote);
  say(`connect to ${dotted(local.address, local.port)} from ${from} (${dotted(remote.address, remote.port)})\n`);
}

function remoteOf(s: Socket): Peer {
  return { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
}

function sameHost(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
  return norm(a) === norm(b);
}

/** A HOST [PORT] given to a listener admits only that peer (any port of it for no PORT). */
function admitted(them: Target | undefined, peer: Peer): boolean {
  return !them || (sameHost(peer.address, them.address) && (them.port === 0 || peer.port === them.port));
}

/** Where a listener binds: -s, else IPv6's any address (IPv4 mapped in), IPv4's without IPv6. */
async function listenEnds(o: NcOptions, them: Target | undefined): Promise<{ hosts: string[]; port: number }> {
  const local = await localEnd(o, them?.family);
  return { hosts: local.address !== undefined ? [local.address] : ['::', '0.0.0.0'], port: local.port };
}

function bindFailed(err: unknown, host: string, last: boolean): void {
  // Only a host without IPv6 makes nc fall back to IPv4.
  if (errnoOf(err) !== 'EAFNOSUPPORT' || host !== '::' || last) dieErrno('bind', errnoOf(err));
}

/**
 * dolisten for TCP: the first admitted connection, the listener closed behind it. -w bounds the
 * wait. With -lk (or -ll) and -e, every connection gets its own PROG and listening goes on.
 */
async function listenTcp(o: NcOptions, them: Target | undefined): Promise<Socket> {
  const { hosts, port } = await listenEnds(o, them);
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  for (const [i, host] of hosts.entries()) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, backlog: 1 }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      break;
    } catch (err) {
      bindFailed(err, host, i === hosts.length - 1);
    }
  }
  if (verbose) {
    const a = server.address() as AddressInfo;
    say(`listening on ${dotted(a.address, a.port)} ...\n`);
  }
  const persistent = o.listen > 1 && o.prog !== undefined;
  return new Promise((resolve) => {
    let alarm = timer(0);
    const arm = () => {
      alarm.cancel();
      alarm = timer(o.wait);
      void alarm.done.then(() => quit(1, 'nc: timeout\n'));
    };
    arm();
    let taken = false;
    server.on('connection', (sock: Socket) => {
      if (taken) return sock.destroy();
      if (!admitted(them, remoteOf(sock))) {
        if (verbose) say(`nc: connect from wrong ip/port ${dotted(remoteOf(sock).address, remoteOf(sock).port)} ignored\n`);
        return sock.destroy();
      }
      if (persistent) {
        arm();
        void sayConnect(o, sock.address() as AddressInfo, remoteOf(sock)).then(() => {
          const child = execProg(o.prog!, sock);
          child.once('spawn', () => sock.destroy());
        });
        return;
      }
      taken = true;
      alarm.cancel();
      server.close();
      resolve(sock);
    });
  });
}

/**
 * dolisten for UDP: the first datagram names the peer, and the socket is connected to it so
 * that only it is heard from and answered. -w bounds the wait for that datagram.
 */
async function listenUdp(o: NcOptions, them: Target | undefined): Promise<Duplex> {
  const { hosts, port } = await listenEnds(o, them);
  let sock: UdpSocket | undefined;
  for (const [i, host] of hosts.entries()) {
    try {
      sock = await udpSocket(isIPv4(host) ? 4 : 6, o, { address: host, port });
      break;
    } catch (err) {
      bindFailed(err, host, i === hosts.length - 1);
    }
  }
  const s = sock!;
  if (verbose) {
    const a = s.address();
    say(`listening on ${dotted(a.address, a.port)} ...\n`);
  }
  if (them && them.port !== 0) await udpConnect(s, them);
  const alarm = timer(o.wait);
  void alarm.done.then(() => quit(1, 'nc: timeout\n'));
  const queued: Buffer[] = [];
  const onError = (err: Error) => quit(1, perror('recvfrom', errnoOf(err)));
  s.on('error', onError);
  // Datagrams that come while the socket is being connected are kept, those of others dropped.
  const peer = await new Promise<Peer>((resolve) => {
    let from: Peer | undefined;
    const onMessage = (m: Buffer, r: { address: string; port: number }) => {
      if (!from) {
        if (!admitted(them, r)) return;
        from = { address: r.address, port: r.port };
        queued.push(m);
        resolve(from);
      } else if (r.address === from.address && r.port === from.port) queued.push(m);
    };
    s.on('message', onMessage);
  });
  alarm.cancel();
  if (!them || them.port === 0) await udpConnect(s, peer);
  await sayConnect(o, s.address(), peer);
  s.removeAllListeners('message');
  s.removeListener('error', onError);
  return udpStream(s, queued);
}

async function listenMode(o: NcOptions, them: Target | undefined): Promise<number> {
  if (o.udp) {
    const net = await listenUdp(o, them);
    return o.prog ? execOnUdp(o.prog, net) : readwrite(net, o);
  }
  const sock = await listenTcp(o, them);
  await sayConnect(o, sock.address() as AddressInfo, remoteOf(sock));
  return o.prog ? execOnTcp(o.prog, sock) : readwrite(sock, o);
}

/** One -v keeps a refused port quiet (scanning); other failures, and -vv, are reported. */
function failed(o: NcOptions, host: string, them: Target, code: string | undefined): number {
  if (o.verbose > 1 || (o.verbose && code !== 'ECONNREFUSED')) say(perror(`${host} (${dotted(them.address, them.port)})`, code));
  return 1;
}

async function connectMode(o: NcOptions, host: string, them: Target): Promise<number> {
  const local = await localEnd(o, them.family);
  let tcp: Socket | undefined;
  let udp: UdpSocket | undefined;
  try {
    if (o.udp) {
      udp = await udpSocket(them.family, o, local);
      await udpConnect(udp, them);
    } else {
      tcp = await connectTcp(them, local, o.wait, o.prog !== undefined);
    }
  } catch (err) {
    if ((err as { syscall?: string }).syscall === 'bind') dieErrno('bind', errnoOf(err));
    return failed(o, host, them, errnoOf(err));
  }
  if (o.zero && udp) {
    const code = await udptest(udp, them, o);
    if (code) return failed(o, host, them, code);
  }
  if (verbose) say(`${host} (${dotted(them.address, them.port)}) open\n`);
  if (o.prog) return tcp ? execOnTcp(o.prog, tcp) : execOnUdp(o.prog, udpStream(udp!));
  if (o.zero) {
    tcp?.destroy();
    udp?.close();
    return 0;
  }
  return readwrite(tcp ?? udpStream(udp!), o);
}

/** catch(): a message, then death by the same signal, so the exit status tells which. */
function onSignals(): void {
  for (const sig of ['SIGINT', 'SIGQUIT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (verbose > 1) say(sentAndReceived());
      say('punt!\n');
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
    });
  }
}

async function main(argv: string[]): Promise<number> {
  onSignals();
  const o = parseOptions(argv);
  verbose = o.verbose;
  const proto = o.udp ? 'udp' : 'tcp';
  lookupPort(o.localPort, proto);
  const [host, port] = o.args;
  const them = host === undefined ? undefined : await resolveTarget(host, lookupPort(port, proto));
  if (!o.listen && (host === undefined || them === undefined)) usage();
  if (o.hexFile !== undefined && o.prog === undefined) {
    try {
      hexFd = openSync(o.hexFile, 'w');
    } catch (err) {
      dieErrno(`can't open '${o.hexFile}'`, errnoOf(err));
    }
  }
  if (o.listen) return listenMode(o, them);
  return connectMode(o, host!, them!);
}

main(process.argv.slice(2)).then(finish, (err: unknown) => {
  if (err instanceof NcExit) quit(err.code, err.stderr);
  quit(1, `nc: ${(err as Error).message}\n`);
});
