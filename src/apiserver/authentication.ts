import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { KObject } from '../api/types.js';
import { readBody, sendJSON } from './http.js';
import { errors } from '../api/errors.js';
import { SERVICE_ACCOUNT_ISSUER, TokenError, TokenSigner, type TokenClaims } from './serviceaccount/jwt.js';

// Bearer-token authentication, as kube-apiserver's union of a static token file and the
// ServiceAccount token authenticator. Every request gets a user.Info; authorization is still
// "authenticated = allowed", but the identity is kept with the request (userOf) for logs,
// reviews and the RBAC that comes later.

/** k8s.io/apiserver/pkg/authentication/user.Info. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The user kubeadm writes into admin.conf (kubeadm >= 1.29). */
export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };

/** Reads a stored object for the bound-object checks; undefined when it does not exist. */
export type ObjectLookup = (resource: 'core/serviceaccounts' | 'core/pods' | 'core/secrets' | 'core/nodes', namespace: string, name: string) => KObject | undefined;

const users = new WeakMap<IncomingMessage, UserInfo>();

/** The identity an authenticated request had. */
export function userOf(req: IncomingMessage): UserInfo | undefined {
  return users.get(req);
}

/** How long a deleted pod's (or account's) tokens stay valid: upstream's 60 s of grace for in-flight use. */
const DELETED_GRACE_MS = 60_000;

export class Authenticator {
  private readonly staticTokens: { token: Buffer; user: UserInfo }[] = [];

  constructor(
    readonly signer: TokenSigner,
    private readonly lookup: ObjectLookup,
    /** --api-audiences: kubeadm leaves it to default to the issuer. */
    readonly audiences: string[] = [SERVICE_ACCOUNT_ISSUER],
    private readonly onReject: (why: string) => void = () => {},
  ) {}

  /** A token of the static token file (--token-auth-file). */
  addStaticToken(token: string, user: UserInfo): void {
    this.staticTokens.push({ token: Buffer.from(token), user });
  }

  /** The request's user, remembered for userOf; undefined when its credentials are missing or invalid. */
  authenticate(req: IncomingMessage): UserInfo | undefined {
    const user = this.userForHeader(req.headers.authorization);
    if (user) users.set(req, user);
    return user;
  }

  userForHeader(header: string | undefined): UserInfo | undefined {
    if (!header || !/^bearer /i.test(header)) return undefined;
    const token = header.slice(7).trim();
    const given = Buffer.from(token);
    for (const s of this.staticTokens) if (s.token.length === given.length && timingSafeEqual(s.token, given)) return s.user;
    if (!TokenSigner.isJWT(token)) return undefined;
    try {
      return this.serviceAccountUser(this.signer.verify(token, this.audiences));
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      this.onReject(e.message);
      return undefined;
    }
  }

  /**
   * The legacy validator's checks of what a token is bound to (pkg/serviceaccount/claims.go):
   * the account, and the pod or secret, must still exist with the uid the token names; deleted
   * ones keep their tokens valid for a minute. Pod-bound tokens carry their node's name and uid.
   */
  private serviceAccountUser(claims: TokenClaims): UserInfo {
    const k = claims['kubernetes.io'];
    const ns = k.namespace;
    const now = Date.now();
    const live = (what: string, obj: KObject | undefined, ref: { name: string; uid: string }) => {
      if (!obj) throw new TokenError(`${what} ${ns}/${ref.name} not found`);
      if (obj.metadata.uid !== ref.uid) throw new TokenError(`${what} UID (${obj.metadata.uid}) does not match claim (${ref.uid})`);
      const del = obj.metadata.deletionTimestamp;
      if (del && Date.parse(del) < now - DELETED_GRACE_MS) throw new TokenError(`${what} has been deleted`);
    };
    live('service account', this.lookup('core/serviceaccounts', ns, k.serviceaccount.name), k.serviceaccount);
    if (k.secret) live('secret', this.lookup('core/secrets', ns, k.secret.name), k.secret);
    if (k.pod) live('pod', this.lookup('core/pods', ns, k.pod.name), k.pod);
    if (k.node && !k.pod) live('node', this.lookup('core/nodes', '', k.node.name), k.node);
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (k.node) {
      extra['authentication.kubernetes.io/node-name'] = [k.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    }
    if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    return {
      username: claims.sub,
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      ...(Object.keys(extra).length ? { extra } : {}),
    };
  }
}

const WHOAMI_PATH = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews$/;

export function isSelfSubjectReviewPath(path: string): boolean {
  return WHOAMI_PATH.test(path);
}

/**
 * SelfSubjectReview (`kubectl auth whoami`): the request's own identity in status.userInfo.
 * The body carries nothing the answer depends on, so it is read and dropped whatever its encoding.
 */
export function serveSelfSubjectReview(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed();
  const version = WHOAMI_PATH.exec(path)![1];
  const user = userOf(req);
  return readBody(req).then(() =>
    sendJSON(res, 201, {
      kind: 'SelfSubjectReview',
      apiVersion: `authentication.k8s.io/${version}`,
      metadata: { creationTimestamp: null },
      status: { userInfo: user ?? {} },
    }),
  );
}
