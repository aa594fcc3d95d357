// Checks the generated documents against the real kubectl: explain renders from them, and
// apply trusts server-side validation (sends fieldValidation=Strict) instead of falling back
// to client-side validation through /openapi/v2. A throwaway HTTPS server serves minimal
// aggregated discovery, /openapi/v3 and the two requests apply makes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KINDS } from '../../../../src/api/kinds.js';
import { openapiDocument, openapiRoot } from '../../../../src/api/openapi/index.js';
import { ensureGenerated } from './helpers.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const run = promisify(execFile);
const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

let dir: string;
let server: Server;
let kubeconfig: string;
const requests: { method: string; url: string }[] = [];

function discovery(core: boolean): object {
  const groups = new Map<string, typeof KINDS>();
  for (const def of KINDS) {
    if ((def.group === '') !== core) continue;
    groups.set(def.group, [...(groups.get(def.group) ?? []), def]);
  }
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {},
    items: [...groups].map(([group, defs]) => ({
      metadata: { name: group },
      versions: [...new Set(defs.flatMap((d) => d.versions))].map((version) => ({
        version, freshness: 'Current',
        resources: defs.filter((d) => d.versions.includes(version)).map((d) => ({
          resource: d.plural, responseKind: { group, version, kind: d.kind }, scope: d.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: d.singular, verbs: d.verbs, shortNames: d.shortNames, categories: d.categories,
        })),
      })),
    })),
  };
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

before(async () => {
  ensureGenerated();
  dir = mkdtempSync(path.join(tmpdir(), 'skiff-openapi-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const json = (code: number, body: string, type = 'application/json') => { res.writeHead(code, { 'Content-Type': type }); res.end(body); };
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/api' || url.pathname === '/apis') return json(200, JSON.stringify(discovery(url.pathname === '/api')), DISCOVERY_V2);
      if (url.pathname === '/openapi/v3') return json(200, JSON.stringify(openapiRoot()));
      if (url.pathname.startsWith('/openapi/v3/')) {
        const doc = openapiDocument(url.pathname.slice('/openapi/v3/'.length));
        if (doc) return json(200, doc.body.toString('utf8'));
      }
      if (req.method === 'GET' && url.pathname === '/apis/apps/v1/namespaces/default/deployments/web') {
        return json(404, status(404, 'NotFound', 'deployments.apps "web" not found'));
      }
      if (req.method === 'POST' && url.pathname === '/apis/apps/v1/namespaces/default/deployments') {
        return json(201, JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }));
      }
      json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: t, user: {token: t}}]
contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]
current-context: t
`);
});

after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args], { timeout: 30_000 });
  return stdout;
}

test('kubectl explain renders Deployment fields with descriptions', { skip: !existsSync(KUBECTL) && 'no kubectl' }, async () => {
  const out = await kubectl('explain', 'deployment.spec.strategy');
  assert.match(out, /GROUP:\s+apps/);
  assert.match(out, /KIND:\s+Deployment/);
  assert.match(out, /FIELD: strategy <DeploymentStrategy>/);
  assert.match(out, /The deployment strategy to use to replace existing pods with new ones\./);
  assert.match(out, /rollingUpdate\t<RollingUpdateDeployment>/);
  assert.match(out, /type\t<string>\n\s+enum: Recreate, RollingUpdate/);
  const surge = await kubectl('explain', 'deployment.spec.strategy.rollingUpdate.maxSurge');
  assert.match(surge, /FIELD: maxSurge <IntOrString>/);
});

test('kubectl explain renders Istio VirtualService spec', { skip: !existsSync(KUBECTL) && 'no kubectl' }, async () => {
  const out = await kubectl('explain', 'virtualservice.spec');
  assert.match(out, /GROUP:\s+networking.istio.io/);
  assert.match(out, /Configuration affecting label\/content routing/);
  assert.match(out, /hosts\t<\[\]string>\n\s+The destination hosts to which traffic is being sent\./);
  assert.match(out, /http\t<\[\]Object>/);
});

test('kubectl apply trusts server-side validation (fieldValidation=Strict)', { skip: !existsSync(KUBECTL) && 'no kubectl' }, async () => {
  const manifest = path.join(dir, 'deploy.yaml');
  writeFileSync(manifest, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`);
  requests.length = 0;
  const out = await kubectl('apply', '-f', manifest);
  assert.match(out, /deployment.apps\/web created/);
  const post = requests.find((r) => r.method === 'POST');
  assert.ok(post, `a POST was sent; requests: ${JSON.stringify(requests)}`);
  assert.match(post.url, /[?&]fieldValidation=Strict(&|$)/);
  assert.ok(!requests.some((r) => r.url.startsWith('/openapi/v2')), 'no fallback to /openapi/v2');
});
