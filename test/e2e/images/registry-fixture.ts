// A local OCI registry for the image tests (Debian's docker-registry on loopback, with or
// without token auth), and test images built from a rootfs the test makes (the static busybox
// plus files) with umoci and pushed with skopeo: no internet is involved.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, generateKeyPairSync, createSign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, waitFor } from '../harness.js';

const run = promisify(execFile);

export const STATIC_BUSYBOX = '/usr/local/lib/skiff/busybox';
export const TOOLS = ['docker-registry', 'umoci', 'skopeo', 'openssl'];

/** Why the image tests cannot run here, or undefined when they can. */
export function missingTools(): string | undefined {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (!existsSync(STATIC_BUSYBOX)) missing.push(STATIC_BUSYBOX);
  if (process.getuid?.() !== 0) missing.push('root');
  return missing.length ? `needs ${missing.join(', ')} (scripts/install-deps.sh --test)` : undefined;
}

/** Runs a tool without blocking the event loop, which serves the token server of the same process. */
async function must(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}

export interface Registry {
  /** host:port on 127.0.0.1 */
  host: string;
  /** Where the registry keeps its blobs (to corrupt one). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface TokenAuth {
  username: string;
  password: string;
}

/** Starts docker-registry on 127.0.0.1; with `auth`, behind a token server checking those credentials. */
export async function startRegistry(dir: string, auth?: TokenAuth): Promise<Registry> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const dataDir = join(dir, 'data');
  let tokenServer: Server | undefined;
  let authConfig = '';
  if (auth) {
    const t = await startTokenServer(dir, auth);
    tokenServer = t.server;
    authConfig = `auth:\n  token:\n    realm: ${t.realm}\n    service: skiff-test-registry\n    issuer: skiff-test-issuer\n    rootcertbundle: ${t.certFile}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dataDir}\nhttp:\n  addr: 127.0.0.1:${port}\n${authConfig}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const host = `127.0.0.1:${port}`;
  await waitFor(`docker-registry on ${host} (${stderr})`, async () => {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    return fetch(`http://${host}/v2/`).then(() => true, () => false);
  });
  return {
    host,
    dataDir,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      await new Promise<void>((r) => (tokenServer ? tokenServer.close(() => r()) : r()));
    },
  };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A token server as docker/distribution's token auth expects one: Basic credentials in, an RS256
 * JWT out, whose x5c header carries the certificate the registry's rootcertbundle trusts.
 */
async function startTokenServer(dir: string, auth: TokenAuth): Promise<{ server: Server; realm: string; certFile: string }> {
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await must('openssl', ['req', '-new', '-x509', '-key', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=skiff-test-issuer']);
  const der = new X509Certificate(readFileSync(certFile)).raw;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: wrong username or password' }] }));
      return;
    }
    const [, name, actions] = /^repository:([^:]+):(.*)$/.exec(u.searchParams.get('scope') ?? '') ?? [];
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = {
      iss: 'skiff-test-issuer',
      sub: auth.username,
      aud: u.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: String(Math.random()),
      access: name ? [{ type: 'repository', name, actions: actions.split(',') }] : [],
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(privateKey);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${input}.${b64url(sig)}` }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, realm: `http://127.0.0.1:${port}/token`, certFile };
}

export interface ImageLayer {
  /** Files to write (path in the image → content). */
  files?: Record<string, string | Buffer>;
  /** Paths to remove from what the layers below hold (whiteouts). */
  remove?: string[];
}

export interface ImageSpec {
  layers: ImageLayer[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  /** How skopeo compresses the layers it pushes; gzip (umoci's) unless said. */
  compression?: 'zstd';
}

/** The first layer of every test image: the static busybox with its applets, and /etc/passwd. */
const BASE_APPLETS = ['sh', 'ls', 'cat', 'httpd', 'echo', 'id', 'pwd', 'wget', 'sleep', 'env'];

/** Builds `spec` into the OCI layout `layout` (made if missing) as `tag`, with umoci. */
async function buildImage(workDir: string, spec: ImageSpec, layout: string, tag: string, arch?: string): Promise<void> {
  if (!existsSync(layout)) await must('umoci', ['init', '--layout', layout]);
  await must('umoci', ['new', '--image', `${layout}:${tag}`]);
  for (const [i, layer] of spec.layers.entries()) {
    const bundle = join(workDir, `bundle-${tag}-${i}`);
    await must('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    const root = join(bundle, 'rootfs');
    if (i === 0) {
      mkdirSync(join(root, 'bin'), { recursive: true });
      copyFileSync(STATIC_BUSYBOX, join(root, 'bin', 'busybox'));
      for (const a of BASE_APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    }
    for (const p of layer.remove ?? []) rmSync(join(root, p), { recursive: true });
    for (const [p, content] of Object.entries(layer.files ?? {})) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), content);
    }
    await must('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
    rmSync(bundle, { recursive: true, force: true });
  }
  const cfg: string[] = arch ? ['--architecture', arch] : [];
  if (spec.entrypoint) for (const e of spec.entrypoint) cfg.push('--config.entrypoint', e);
  if (spec.cmd) for (const c of spec.cmd) cfg.push('--config.cmd', c);
  for (const e of spec.env ?? []) cfg.push('--config.env', e);
  if (spec.workingDir) cfg.push('--config.workingdir', spec.workingDir);
  if (spec.user) cfg.push('--config.user', spec.user);
  if (cfg.length) await must('umoci', ['config', '--image', `${layout}:${tag}`, ...cfg]);
}

/** Builds `spec` and pushes it to `registryHost` as `ref` (`name:tag`) with skopeo. */
export async function buildAndPush(workDir: string, spec: ImageSpec, registryHost: string, ref: string, creds?: TokenAuth): Promise<void> {
  const layout = join(workDir, 'layout');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  await buildImage(workDir, spec, layout, 'img');
  const auth = creds ? ['--dest-creds', `${creds.username}:${creds.password}`] : [];
  const compression = spec.compression ? ['--dest-compress-format', spec.compression] : [];
  await must('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...auth, ...compression, `oci:${layout}:img`, `docker://${registryHost}/${ref}`]);
}

/**
 * Builds one image per architecture and pushes them as one multi-arch image: an OCI image index
 * listing each manifest with its linux/<arch> platform, in the order given.
 */
export async function buildAndPushIndex(workDir: string, specs: Record<string, ImageSpec>, registryHost: string, ref: string): Promise<void> {
  const layout = join(workDir, 'layout');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  for (const [arch, spec] of Object.entries(specs)) await buildImage(workDir, spec, layout, arch, arch);
  const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number; mediaType: string; annotations?: Record<string, string> }[] };
  const manifests = Object.keys(specs).map((arch) => {
    const d = top.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === arch)!;
    return { mediaType: d.mediaType, digest: d.digest, size: d.size, platform: { os: 'linux', architecture: arch } };
  });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const digest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), index);
  top.manifests.push({ mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(top));
  await must('skopeo', ['copy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${registryHost}/${ref}`]);
}

/** Builds `spec` and writes it as `docker save` would (skopeo's docker-archive), tagged `ref`. */
export async function saveDockerArchive(workDir: string, spec: ImageSpec, archive: string, ref: string): Promise<void> {
  const layout = join(workDir, 'layout');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  await buildImage(workDir, spec, layout, 'img');
  rmSync(archive, { force: true });
  await must('skopeo', ['copy', '--quiet', `oci:${layout}:img`, `docker-archive:${archive}:${ref}`]);
}

/** The registry's file holding blob `digest` (docker/distribution's filesystem layout). */
export function registryBlobFile(dataDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** The layers of the manifest `ref` in `registryHost`, base first (skopeo inspect --raw). */
async function manifestLayers(registryHost: string, ref: string): Promise<{ digest: string; mediaType: string }[]> {
  const raw = await must('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registryHost}/${ref}`]);
  return (JSON.parse(raw) as { layers: { digest: string; mediaType: string }[] }).layers;
}

/** The digests of the layers of `ref` in `registryHost`, base first. */
export async function layerDigests(registryHost: string, ref: string): Promise<string[]> {
  return (await manifestLayers(registryHost, ref)).map((l) => l.digest);
}

/** The media types of the layers of `ref` in `registryHost`, base first. */
export async function layerMediaTypes(registryHost: string, ref: string): Promise<string[]> {
  return (await manifestLayers(registryHost, ref)).map((l) => l.mediaType);
}
