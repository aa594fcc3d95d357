// Decodes the exact bytes kubectl 1.32/1.33 sent (captured by capture-fixtures.mjs) and compares
// them with what the same kubectl prints for `--dry-run=client -o json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeProtobuf, encodeProtobuf } from '../../../../src/api/protobuf/index.js';

const FIXTURES = new URL('../../../../../test/unit/api/protobuf/fixtures/', import.meta.url);

interface Capture {
  name: string;
  kubectl: string;
  args: string[];
  path: string;
  contentType: string;
  expected?: string;
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8')) as Capture[];

function body(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`${name}.pb.b64`, FIXTURES), 'utf8'), 'base64');
}

/**
 * kubectl prints Go's JSON, where a zero metav1.Time and a nil list without omitempty are null
 * ("creationTimestamp": null, "currentMetrics": null); the decoder leaves such fields out.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

test('the fixtures cover every generator the brief names', () => {
  const names = new Set(manifest.map((c) => c.name));
  for (const name of ['deployment', 'namespace', 'configmap', 'secret-generic', 'service-nodeport', 'ingress', 'job',
    'serviceaccount', 'autoscale-v1', 'autoscale-v2', 'selfsubjectaccessreview']) {
    assert.ok(names.has(name), `fixture ${name} is missing; rerun capture-fixtures.mjs`);
  }
  for (const c of manifest) assert.match(c.contentType, /^application\/vnd\.kubernetes\.protobuf/, c.name);
});

for (const capture of manifest.filter((c) => c.expected !== undefined)) {
  test(`kubectl ${capture.kubectl} ${capture.args.slice(0, 3).join(' ')} (${capture.name}) decodes to its dry-run JSON`, () => {
    const expected = withoutNulls(JSON.parse(readFileSync(new URL(capture.expected!, FIXTURES), 'utf8')));
    assert.deepStrictEqual(decodeProtobuf(body(capture.name)), expected);
  });
}

test('kubectl auth can-i posts a SelfSubjectAccessReview with resource attributes', () => {
  assert.deepStrictEqual(decodeProtobuf(body('selfsubjectaccessreview')), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: { resourceAttributes: { namespace: 'default', verb: 'create', group: 'apps', resource: 'deployments', subresource: 'scale' } },
    status: { allowed: false },
  });
});

test('kubectl auth can-i on a URL posts non-resource attributes', () => {
  assert.deepStrictEqual(decodeProtobuf(body('selfsubjectaccessreview-nonresource')), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
    status: { allowed: false },
  });
});

test('kubectl auth can-i --list posts a SelfSubjectRulesReview', () => {
  assert.deepStrictEqual(decodeProtobuf(body('selfsubjectrulesreview')), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec: { namespace: 'team' },
    status: { incomplete: false },
  });
});

test('secret data arrives as bytes and leaves as base64, binaryData likewise', () => {
  const secret = decodeProtobuf(body('secret-generic')) as unknown as { data: Record<string, string>; type?: string };
  assert.equal(Buffer.from(secret.data.k!, 'base64').toString(), 'v');
  assert.equal(secret.type, undefined, 'kubectl leaves the type to server-side defaulting');
  const registry = decodeProtobuf(body('secret-docker-registry')) as unknown as { data: Record<string, string>; type: string };
  assert.equal(registry.type, 'kubernetes.io/dockerconfigjson');
  assert.deepStrictEqual(JSON.parse(Buffer.from(registry.data['.dockerconfigjson']!, 'base64').toString()).auths['registry.example'].username, 'u');
  const cm = decodeProtobuf(body('configmap-binary')) as unknown as { binaryData: Record<string, string> };
  assert.deepStrictEqual([...Buffer.from(cm.binaryData.blob!, 'base64')], [0xff, 0xfe, 0x00, 0x01, 0x80]);
});

test('re-encoding a decoded kubectl body decodes to the same object', () => {
  for (const capture of manifest) {
    const decoded = decodeProtobuf(body(capture.name));
    assert.deepStrictEqual(decodeProtobuf(encodeProtobuf(decoded)), decoded, capture.name);
  }
});
