// k8s.io/api authentication/v1: the TokenRequest `kubectl create token` posts.
export const authenticationMessages: Record<string, readonly string[]> = {
  TokenRequest: ['1 metadata ObjectMeta', '2 spec TokenRequestSpec', '3 status TokenRequestStatus'],
  TokenRequestSpec: ['1 audiences string[] !', '4 expirationSeconds int64 *', '3 boundObjectRef BoundObjectReference *'],
  BoundObjectReference: ['1 kind string', '2 apiVersion string', '3 name string', '4 uid string'],
  TokenRequestStatus: ['1 token string !', '2 expirationTimestamp Time !'],
};
