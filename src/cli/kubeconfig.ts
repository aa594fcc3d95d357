// The cluster's entries in a kubeconfig file: merged in by `up`, removed by `down`, printed on
// their own by `skiff kubeconfig`. The file is edited as a YAML document, not re-serialised from
// plain objects, so other entries keep their exact text, comments and quoting.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Document, isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';

export interface KubeconfigEntry {
  /** Name of the cluster, user and context entries. */
  name: string;
  server: string;
  caCertPem: string;
  token: string;
}

// kubectl reads kubeconfig with a YAML 1.1 parser, where `yes`, `on`, `0777` … are not strings;
// parsing and writing as 1.1 keeps such strings quoted.
const YAML_OPTIONS = { version: '1.1' as const };
// kubectl's own layout: list items at the indentation of their key, no line folding.
const STRINGIFY_OPTIONS = { lineWidth: 0, indentSeq: false };

/** The file `up` and `down` edit: the first entry of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(':').find((p) => p.length > 0);
  return first ?? join(homedir(), '.kube', 'config');
}

function entryObjects(e: KubeconfigEntry) {
  return {
    cluster: {
      name: e.name,
      cluster: {
        'certificate-authority-data': Buffer.from(e.caCertPem).toString('base64'),
        server: e.server,
      },
    },
    user: { name: e.name, user: { token: e.token } },
    context: { name: e.name, context: { cluster: e.name, user: e.name } },
  };
}

/** A kubeconfig holding only this cluster, with kubectl's key order. */
export function standaloneKubeconfig(e: KubeconfigEntry): string {
  const o = entryObjects(e);
  const doc = new Document(
    {
      apiVersion: 'v1',
      clusters: [o.cluster],
      contexts: [o.context],
      'current-context': e.name,
      kind: 'Config',
      preferences: {},
      users: [o.user],
    },
    YAML_OPTIONS,
  );
  return doc.toString(STRINGIFY_OPTIONS);
}

function parseKubeconfig(text: string, what: string): Document.Parsed | Document {
  if (text.trim() === '') return new Document({}, YAML_OPTIONS);
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0) throw new Error(`${what}: invalid YAML: ${doc.errors[0]!.message}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  if (!isMap(doc.contents)) throw new Error(`${what}: the document is not a mapping`);
  return doc;
}

function namedList(doc: Document, key: string, what: string): YAMLSeq {
  const list = doc.get(key, true);
  if (list === undefined || list === null || (!isSeq(list) && (list as { value?: unknown }).value === null)) {
    const seq = doc.createNode([]) as YAMLSeq;
    doc.set(key, seq);
    return seq;
  }
  if (!isSeq(list)) throw new Error(`${what}: "${key}" is not a list`);
  return list;
}

function indexByName(seq: YAMLSeq, name: string): number {
  return seq.items.findIndex((item) => isMap(item) && (item as YAMLMap).get('name') === name);
}

function upsert(doc: Document, key: string, value: object, name: string, what: string): void {
  const seq = namedList(doc, key, what);
  const node = doc.createNode(value);
  const i = indexByName(seq, name);
  if (i === -1) seq.items.push(node);
  else seq.items[i] = node;
}

/** Adds or replaces the cluster, user and context named e.name and makes the context current. */
export function mergeKubeconfig(text: string, e: KubeconfigEntry): string {
  if (text.trim() === '') return standaloneKubeconfig(e);
  const what = `adding "${e.name}" to the kubeconfig`;
  const doc = parseKubeconfig(text, what);
  const o = entryObjects(e);
  if (!doc.has('apiVersion')) doc.set('apiVersion', 'v1');
  if (!doc.has('kind')) doc.set('kind', 'Config');
  upsert(doc, 'clusters', o.cluster, e.name, what);
  upsert(doc, 'users', o.user, e.name, what);
  upsert(doc, 'contexts', o.context, e.name, what);
  doc.set('current-context', e.name);
  return doc.toString(STRINGIFY_OPTIONS);
}

/** Removes the cluster, user and context named `name`; unsets current-context if it was that context. */
export function removeFromKubeconfig(text: string, name: string): string {
  const what = `removing "${name}" from the kubeconfig`;
  const doc = parseKubeconfig(text, what);
  for (const key of ['clusters', 'users', 'contexts']) {
    const list = doc.get(key, true);
    if (!isSeq(list)) continue;
    list.items = list.items.filter((item) => !(isMap(item) && (item as YAMLMap).get('name') === name));
  }
  // kubectl writes an unset current-context as an empty string (`current-context: ""`).
  if (doc.get('current-context') === name) doc.set('current-context', '');
  return doc.toString(STRINGIFY_OPTIONS);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// The same lock file kubectl uses (`<file>.lock`, created exclusively), so neither a parallel
// `skiff up` of another cluster nor a `kubectl config` command loses an edit.
function withFileLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) {
        throw new Error(`waiting for the lock ${lock}: still held after 5s (remove it if no kubectl or skiff is running)`);
      }
      sleepSync(10);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone; nothing to release.
    }
  }
}

/** Rewrites a kubeconfig file under its lock; a missing file is created with mode 0600. */
export function editKubeconfigFile(path: string, edit: (text: string) => string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  let target = path;
  try {
    target = realpathSync(path); // keep a symlinked kubeconfig a symlink
  } catch {
    // Does not exist yet.
  }
  withFileLock(target, () => {
    let text = '';
    let mode = 0o600;
    try {
      text = readFileSync(target, 'utf8');
      mode = statSync(target).mode & 0o7777;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const next = edit(text);
    if (next === text) return;
    const tmp = `${target}.skiff-${process.pid}.tmp`;
    writeFileSync(tmp, next, { mode });
    chmodSync(tmp, mode); // the umask must not widen or narrow the file's existing mode
    renameSync(tmp, target);
  });
}

export function writeKubeconfigEntry(path: string, e: KubeconfigEntry): void {
  try {
    editKubeconfigFile(path, (text) => mergeKubeconfig(text, e));
  } catch (err) {
    throw new Error(`writing context "${e.name}" to kubeconfig ${path}: ${(err as Error).message}`);
  }
}

export function removeKubeconfigEntry(path: string, name: string): void {
  try {
    statSync(path);
  } catch {
    return; // no kubeconfig, nothing to remove
  }
  try {
    editKubeconfigFile(path, (text) => removeFromKubeconfig(text, name));
  } catch (err) {
    throw new Error(`removing context "${name}" from kubeconfig ${path}: ${(err as Error).message}`);
  }
}
