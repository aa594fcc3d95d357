// Build step: bundles every program skiff starts as a process (the CLI and control plane, node
// agents, the host-port publisher and forwarder, the add-ons, the built-in images' servers and
// applets) from tsc's output in dist/src to dist/programs, with the same relative paths. Node 20
// has no compile cache, and loading hundreds of small modules was most of a process's start
// (a node agent: 240 ms of imports, 90 ms bundled); on two cores, `skiff up` starts nine of them.
//
// Every module keeps the location it had: `import.meta.url` is replaced by the module's own path
// mirrored into dist/programs, so `new URL('../node/main.js', import.meta.url)` names the bundled
// agent and `../../../openapi/` still names dist/openapi. Shared code is split into chunks, so
// `skiff up` loads the CLI without the API server. Run after tsc (npm run build).
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const dist = fileURLToPath(new URL('../', import.meta.url));
const src = join(dist, 'src');
const out = join(dist, 'programs');

/** Files run as programs, relative to src; a directory stands for every .js file in it. */
const PROGRAMS = [
  'cli/main.js',
  'cli/dns-probe.js',
  'node/main.js',
  'node/network/host-ports/main.js',
  'node/network/host-ports/forwarder.js',
  'addons/dns/main.js',
  'addons/ingress/main.js',
  'addons/metrics-server/main.js',
  'client/serving-cert-worker.js',
  'addons/istio/istiod/main.js',
  'addons/istio/gateway/main.js',
  'images/servers/',
  'images/applets/nc.js',
  'images/registry/pull-process.js',
];

/** Loaded from node_modules at run time: a native addon, and optional speed-ups ws looks for. */
const EXTERNAL = ['better-sqlite3', 'bufferutil', 'utf-8-validate'];

function entries(): string[] {
  const files: string[] = [];
  for (const p of PROGRAMS) {
    if (!p.endsWith('/')) {
      files.push(join(src, p));
      continue;
    }
    let names: string[] = [];
    try {
      names = readdirSync(join(src, p));
    } catch {
      continue;
    }
    for (const n of names.sort()) if (n.endsWith('.js')) files.push(join(src, p, n));
  }
  return files;
}

/**
 * esbuild escapes non-ASCII in strings but keeps comments as written, and one character above
 * U+00FF anywhere (an arrow in a comment) makes V8 hold the whole chunk's source as a two-byte
 * string: the control plane's 0.8 MB chunk then took 1.6 MB of heap. A \u escape means the same
 * character in a string, regexp, template or identifier, and is plain text in a comment.
 */
function latin1Only(text: string): string {
  return text.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const keepLocation: esbuild.Plugin = {
  name: 'keep-location',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(src + '/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      const url = pathToFileURL(join(out, relative(src, args.path))).href;
      return { contents: latin1Only(text.replaceAll('import.meta.url', JSON.stringify(url))), loader: 'js', resolveDir: join(args.path, '..') };
    });
  },
};

const started = Date.now();
try {
  const result = await esbuild.build({
    entryPoints: entries(),
    outbase: src,
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [keepLocation],
    chunkNames: 'chunks/[name]-[hash]',
    // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length;
  console.log(`bundle-programs: wrote ${outputs} files to ${out} in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`bundle-programs: ${(err as Error).message}`);
  process.exit(1);
}
