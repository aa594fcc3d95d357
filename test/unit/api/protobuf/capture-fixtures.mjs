#!/usr/bin/env node
// Captures the protobuf request bodies that real kubectl (>= 1.32) sends for its typed-client
// commands, together with the JSON the same kubectl prints for `--dry-run=client -o json`.
// Run once by hand from the repository root:
//
//   node test/unit/api/protobuf/capture-fixtures.mjs
//
// It starts a throwaway HTTPS server on 127.0.0.1 with a self-signed certificate (openssl CLI),
// answers aggregated discovery minimally (kubectl-protocol.md §3), records every POST body and
// writes test/unit/api/protobuf/fixtures/<name>.pb.b64 (request body), <name>.json (dry-run output)
// and manifest.json. The unit test only reads these files.
import { createServer } from 'node:https';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fixturesDir = join(here, 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'skiff-pb-capture-'));

const KUBECTL = {
  '1.32': process.env.KUBECTL_132 ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32',
  '1.33': process.env.KUBECTL_133 ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33',
};

// --- certificate -----------------------------------------------------------------------------
const keyPath = join(work, 'tls.key');
const certPath = join(work, 'tls.crt');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
  '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
// A tiny non-UTF-8 file, so that `create configmap --from-file` produces binaryData.
const binPath = join(work, 'blob.bin');
writeFileSync(binPath, Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));

// --- discovery -------------------------------------------------------------------------------
const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const res = (resource, group, version, kind, scope, extra = {}) => ({
  resource, responseKind: { group, version, kind }, scope, singularResource: kind.toLowerCase(), verbs: CRUD, ...extra,
});
const coreGroup = {
  metadata: { name: '' },
  versions: [{ version: 'v1', freshness: 'Current', resources: [
    res('namespaces', '', 'v1', 'Namespace', 'Cluster', { shortNames: ['ns'] }),
    res('configmaps', '', 'v1', 'ConfigMap', 'Namespaced', { shortNames: ['cm'] }),
    res('secrets', '', 'v1', 'Secret', 'Namespaced'),
    res('services', '', 'v1', 'Service', 'Namespaced', { shortNames: ['svc'] }),
    res('serviceaccounts', '', 'v1', 'ServiceAccount', 'Namespaced', { shortNames: ['sa'] }),
    res('resourcequotas', '', 'v1', 'ResourceQuota', 'Namespaced', { shortNames: ['quota'] }),
    res('pods', '', 'v1', 'Pod', 'Namespaced', { shortNames: ['po'] }),
  ] }],
};
const groups = [
  { metadata: { name: 'apps' }, versions: [{ version: 'v1', freshness: 'Current', resources: [
    res('deployments', 'apps', 'v1', 'Deployment', 'Namespaced', { shortNames: ['deploy'], subresources: [
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
    ] }),
  ] }] },
  { metadata: { name: 'batch' }, versions: [{ version: 'v1', freshness: 'Current', resources: [
    res('jobs', 'batch', 'v1', 'Job', 'Namespaced'),
    res('cronjobs', 'batch', 'v1', 'CronJob', 'Namespaced', { shortNames: ['cj'] }),
  ] }] },
  { metadata: { name: 'networking.k8s.io' }, versions: [{ version: 'v1', freshness: 'Current', resources: [
    res('ingresses', 'networking.k8s.io', 'v1', 'Ingress', 'Namespaced', { shortNames: ['ing'] }),
  ] }] },
  { metadata: { name: 'autoscaling' }, versions: ['v2', 'v1'].map((v) => ({ version: v, freshness: 'Current', resources: [
    res('horizontalpodautoscalers', 'autoscaling', v, 'HorizontalPodAutoscaler', 'Namespaced', { shortNames: ['hpa'] }),
  ] })) },
  { metadata: { name: 'authorization.k8s.io' }, versions: [{ version: 'v1', freshness: 'Current', resources: [
    res('selfsubjectaccessreviews', 'authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'Cluster', { verbs: ['create'] }),
    res('selfsubjectrulesreviews', 'authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'Cluster', { verbs: ['create'] }),
  ] }] },
];
const DISCOVERY_CT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const discoveryList = (items) => JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items });

const webDeployment = {
  kind: 'Deployment', apiVersion: 'apps/v1',
  metadata: { name: 'web', namespace: 'default', uid: '0b9f7f1e-0000-4000-8000-000000000001', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z', labels: { app: 'web' } },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
  status: {},
};

// --- server ----------------------------------------------------------------------------------
let posts = [];
const server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, resp) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/api') {
      resp.writeHead(200, { 'Content-Type': DISCOVERY_CT }).end(discoveryList([coreGroup]));
    } else if (req.method === 'GET' && path === '/apis') {
      resp.writeHead(200, { 'Content-Type': DISCOVERY_CT }).end(discoveryList(groups));
    } else if (req.method === 'GET' && path === '/apis/apps/v1/namespaces/default/deployments/web') {
      resp.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(webDeployment));
    } else if (req.method === 'POST') {
      posts.push({ path, contentType: req.headers['content-type'] ?? '', body });
      // Echo the body back: kubectl decodes whatever it sent and prints "<kind>/<name> created".
      resp.writeHead(201, { 'Content-Type': req.headers['content-type'] ?? 'application/json' }).end(body);
    } else {
      resp.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404,
      }));
    }
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const kubeconfig = join(work, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters:
- name: capture
  cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: capture
  user:
    token: capture-token
contexts:
- name: capture
  context: {cluster: capture, user: capture, namespace: default}
current-context: capture
`);

function kubectl(version, args) {
  return new Promise((resolve) => {
    execFile(KUBECTL[version], ['--cache-dir', join(work, 'cache'), ...args],
      { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: work }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

// name → [kubectl version, args]; every command except can-i also has a dry-run twin.
const CASES = [
  ['deployment', '1.32', ['create', 'deployment', 'web', '--image=nginx', '--port=80', '--replicas=2']],
  ['deployment-multi', '1.32', ['create', 'deployment', 'multi', '--image=nginx', '--image=busybox:1.36']],
  ['deployment-command', '1.32', ['create', 'deployment', 'sleeper', '--image=busybox', '--', 'sleep', '3600']],
  ['namespace', '1.32', ['create', 'namespace', 'x']],
  ['configmap', '1.32', ['create', 'configmap', 'c', '--from-literal=a=b']],
  ['configmap-binary', '1.32', ['create', 'configmap', 'bin', '--from-literal=text=hello', `--from-file=blob=${binPath}`]],
  ['secret-generic', '1.32', ['create', 'secret', 'generic', 's', '--from-literal=k=v']],
  ['secret-tls', '1.32', ['create', 'secret', 'tls', 'tls', `--cert=${certPath}`, `--key=${keyPath}`]],
  ['secret-docker-registry', '1.32', ['create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.example', '--docker-username=u', '--docker-password=p']],
  ['service-nodeport', '1.32', ['create', 'service', 'nodeport', 'n', '--tcp=80:8080']],
  ['service-clusterip', '1.32', ['create', 'service', 'clusterip', 'c', '--tcp=443:https', '--tcp=80']],
  ['service-headless', '1.32', ['create', 'service', 'clusterip', 'h', '--clusterip=None']],
  ['service-loadbalancer', '1.32', ['create', 'service', 'loadbalancer', 'lb', '--tcp=5678:8080']],
  ['service-externalname', '1.32', ['create', 'service', 'externalname', 'ext', '--external-name=example.com']],
  ['ingress', '1.32', ['create', 'ingress', 'i', '--rule=foo.com/bar=svc:80']],
  ['ingress-full', '1.32', ['create', 'ingress', 'full', '--class=nginx', '--default-backend=def:http', '--rule=a.com/*=svc-a:8080,tls=a-tls', '--rule=b.com/exact=svc-b:web', '--annotation=x=y']],
  ['job', '1.32', ['create', 'job', 'j', '--image=busybox']],
  ['job-command', '1.32', ['create', 'job', 'jc', '--image=busybox', '--', 'echo', 'hi']],
  ['cronjob', '1.32', ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--restart=Never', '--', 'date']],
  ['serviceaccount', '1.32', ['create', 'serviceaccount', 'sa']],
  ['quota', '1.32', ['create', 'quota', 'q', '--hard=cpu=1,memory=1Gi,pods=10', '--scopes=BestEffort']],
  ['autoscale-v1', '1.32', ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80']],
  ['autoscale-v2', '1.33', ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80']],
  ['deployment-kubectl-1.33', '1.33', ['create', 'deployment', 'web', '--image=nginx', '--port=80', '--replicas=2']],
];

rmSync(fixturesDir, { recursive: true, force: true });
mkdirSync(fixturesDir, { recursive: true });
const manifest = [];
async function capture(name, version, args, dryRun) {
  posts = [];
  const sent = await kubectl(version, args);
  if (posts.length === 0) throw new Error(`capturing ${name}: kubectl ${version} ${args.join(' ')} sent no POST (exit ${sent.code}): ${sent.stderr}`);
  const post = posts[0];
  if (!post.contentType.startsWith('application/vnd.kubernetes.protobuf')) {
    throw new Error(`capturing ${name}: expected a protobuf body, got Content-Type ${post.contentType}`);
  }
  writeFileSync(join(fixturesDir, `${name}.pb.b64`), post.body.toString('base64') + '\n');
  const entry = { name, kubectl: version, args, path: post.path, contentType: post.contentType };
  if (dryRun) {
    // Flags must precede `--`, after which everything belongs to the container command.
    const cut = args.includes('--') ? args.indexOf('--') : args.length;
    const dry = await kubectl(version, [...args.slice(0, cut), '--dry-run=client', '-o', 'json', ...args.slice(cut)]);
    if (dry.code !== 0) throw new Error(`capturing ${name}: dry-run failed: ${dry.stderr}`);
    writeFileSync(join(fixturesDir, `${name}.json`), JSON.stringify(JSON.parse(dry.stdout), null, 2) + '\n');
    entry.expected = `${name}.json`;
  }
  manifest.push(entry);
  console.log(`captured ${name}: POST ${post.path} (${post.body.length} bytes)`);
}

try {
  for (const [name, version, args] of CASES) await capture(name, version, args, true);
  // No dry-run for can-i: its expected JSON is written by hand in the test.
  await capture('selfsubjectaccessreview', '1.32', ['auth', 'can-i', 'create', 'deployments.apps', '--subresource=scale'], false);
  await capture('selfsubjectaccessreview-nonresource', '1.32', ['auth', 'can-i', 'get', '/healthz'], false);
  await capture('selfsubjectrulesreview', '1.32', ['auth', 'can-i', '--list', '--namespace=team'], false);
  writeFileSync(join(fixturesDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
} finally {
  server.close();
  server.closeAllConnections?.();
  rmSync(work, { recursive: true, force: true });
}
