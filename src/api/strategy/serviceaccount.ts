import type { IPod } from 'kubernetes-models/v1/Pod';
import type { KObject, ObjectOf } from '../types.js';
import { apiError, errors } from '../errors.js';

// The object a TokenRequest (serviceaccounts/token) binds its token to, after
// pkg/registry/core/serviceaccount/storage/token.go: a pod running as the account, a node or
// a secret, checked against the reference's uid.

export interface BoundObjectReference {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

export interface BoundObjects {
  pod?: KObject;
  node?: KObject;
  secret?: KObject;
}

/** Reads a stored core object; `get` throws NotFound, `find` answers undefined. */
export interface CoreReader {
  get(plural: string, namespace: string, name: string): KObject;
  find(plural: string, namespace: string, name: string): KObject | undefined;
}

export function resolveBoundObject(ref: BoundObjectReference, namespace: string, serviceAccount: string, read: CoreReader): BoundObjects {
  const [group, version] = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion ?? '').split('/', 2) : ['', ref.apiVersion ?? ''];
  const out: BoundObjects = {};
  let bound: KObject;
  if (group === '' && ref.kind === 'Pod') {
    const pod = (out.pod = bound = read.get('pods', namespace, ref.name ?? ''));
    const spec = (pod as ObjectOf<IPod>).spec;
    if (spec?.serviceAccountName !== serviceAccount) throw errors.badRequest(`cannot bind token for serviceaccount "${serviceAccount}" to pod running with different serviceaccount name.`);
    // ServiceAccountTokenPodNodeInfo (on by default since 1.30): the pod's node, when it has one.
    if (spec?.nodeName) out.node = read.find('nodes', '', spec.nodeName);
  } else if (group === '' && ref.kind === 'Node') {
    out.node = bound = read.get('nodes', '', ref.name ?? '');
  } else if (group === '' && ref.kind === 'Secret') {
    out.secret = bound = read.get('secrets', namespace, ref.name ?? '');
  } else {
    throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
  }
  if (ref.uid && ref.uid !== bound.metadata.uid) {
    throw apiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${ref.kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      { name: ref.name, kind: ref.kind },
    );
  }
  return out;
}
