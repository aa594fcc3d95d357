import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeProtobuf, ProtobufError } from '../api/protobuf/index.js';
import { mediaType, readBody, sendJSON } from './http.js';
import { errors } from '../api/errors.js';

// Every authenticated user (the admin token's holder, ServiceAccounts with their tokens) is
// authorized for everything until RBAC comes: what cluster-admin is on a real cluster. The
// identity is known (authentication.ts userOf). `kubectl auth can-i` asks through these reviews.

const PATH = /^\/apis\/authorization\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews)$/;

export function isSelfReviewPath(path: string): boolean {
  return PATH.test(path);
}

export async function serveSelfReview(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed();
  const kind = path.endsWith('selfsubjectaccessreviews') ? 'SelfSubjectAccessReview' : 'SelfSubjectRulesReview';
  const buf = await readBody(req);
  let review: Record<string, unknown>;
  try {
    review = mediaType(req.headers['content-type']) === 'application/vnd.kubernetes.protobuf' ? decodeProtobuf(buf) : JSON.parse(buf.toString('utf8'));
  } catch (e) {
    const why = e instanceof ProtobufError ? e.message : `json parse error: ${(e as Error).message}`;
    throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${why}`);
  }
  if (review === null || typeof review !== 'object' || Array.isArray(review)) throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: not an object`);
  const status =
    kind === 'SelfSubjectAccessReview'
      ? { allowed: true, reason: 'skiff: every authenticated user is authorized for every request (no RBAC yet)' }
      : {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        };
  sendJSON(res, 201, {
    kind,
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: (review as { spec?: unknown }).spec ?? {},
    status,
  });
}
