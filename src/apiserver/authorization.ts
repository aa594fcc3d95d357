import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJSON } from './http.js';
import { BodyDecodeError, readObjectBody } from './body.js';
import { errors } from '../api/errors.js';

// Every authenticated user (the admin token's holder, ServiceAccounts with their tokens) is
// authorized for everything until RBAC comes: what cluster-admin is on a real cluster. The
// identity is known (authentication.ts userOf). `kubectl auth can-i` asks through these reviews.

const PATH = /^\/apis\/authorization\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews)$/;

export function isSelfReviewPath(path: string): boolean {
  return PATH.test(path);
}

/** Each review's kind and the answer it gets, by the resource it is posted to. */
const REVIEWS: Record<string, { kind: string; status: object }> = {
  selfsubjectaccessreviews: {
    kind: 'SelfSubjectAccessReview',
    status: { allowed: true, reason: 'skiff: every authenticated user is authorized for every request (no RBAC yet)' },
  },
  selfsubjectrulesreviews: {
    kind: 'SelfSubjectRulesReview',
    status: {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    },
  },
};

export async function serveSelfReview(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed();
  const { kind, status } = REVIEWS[path.slice(path.lastIndexOf('/') + 1)];
  let review: unknown;
  try {
    review = await readObjectBody(req);
  } catch (e) {
    if (!(e instanceof BodyDecodeError)) throw e;
    const why = e.protobuf ? e.message : `json parse error: ${e.message}`;
    throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${why}`);
  }
  if (review === null || typeof review !== 'object' || Array.isArray(review)) throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: not an object`);
  sendJSON(res, 201, {
    kind,
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: (review as { spec?: unknown }).spec ?? {},
    status,
  });
}
