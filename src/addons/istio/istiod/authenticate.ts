import { ApiClient, type ApiClientOptions } from '../../../client/client.js';
import type { ProxyAuthenticator } from './discovery.js';

// Maps a proxy's bearer token to the pod it is bound to by asking the API server who the token
// is: a SelfSubjectReview made with the token itself (`kubectl auth whoami` as the proxy), so
// the API server's own checks apply (signature, audience, expiry, and that the bound pod still
// exists with the uid in the token). A kubelet-projected token names its pod in the user's
// extra `authentication.kubernetes.io/pod-name`; a token bound to no pod is refused, as the
// discovery stream is per pod.

interface UserInfo {
  username?: string;
  extra?: Record<string, string[]>;
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The pod a reviewed identity belongs to, or why it is not a pod's. */
export function podOfUser(user: UserInfo): { pod: string } | { error: string } {
  const m = SA_USER.exec(user.username ?? '');
  if (!m) return { error: `${user.username ? `user ${JSON.stringify(user.username)}` : 'the token'} is not a service account` };
  const pod = user.extra?.['authentication.kubernetes.io/pod-name']?.[0];
  if (!pod) return { error: `the token of ${user.username} is not bound to a pod` };
  return { pod: `${m[1]}/${pod}` };
}

export function selfSubjectReviewAuthenticator(base: ApiClientOptions): ProxyAuthenticator {
  return async (token) => {
    const client = new ApiClient({ ...base, token, userAgent: 'pilot-discovery' });
    try {
      const review = await client.request<{ status?: { userInfo?: UserInfo } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        what: 'reviewing a proxy token',
      });
      const who = podOfUser(review.status?.userInfo ?? {});
      if ('error' in who) throw new Error(who.error);
      return who.pod;
    } finally {
      await client.close();
    }
  };
}
