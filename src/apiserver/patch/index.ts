// PATCH request bodies: the four patch types kubectl sends and how each applies to the
// live object. Server-side apply (which also owns managedFields) is in apply.ts.
import { PatchError } from './errors.js';
import { applyJsonPatch } from './jsonPatch.js';
import { applyMergePatch } from './mergePatch.js';
import { acceptedPatchTypes, isBuiltInGroup } from '../../api/patch-types.js';
import { schemaFor } from './schema.js';
import { applyStrategicMergePatch } from './strategicMerge.js';

export { PatchError } from './errors.js';
export type { PatchErrorCause } from './errors.js';
export { serverSideApply, recordUpdate, LAST_APPLIED } from './apply.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The patch type of a PATCH request's Content-Type (parameters ignored); undefined when not served (apply-patch+cbor included). */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const media = contentType.split(';')[0].trim().toLowerCase();
  return CONTENT_TYPES[media];
}

/** Applies a patch to the live object (plain JSON, in the version the client addressed). Throws PatchError with a Kubernetes-style message on bad patches. */
export function applyPatch(type: Exclude<PatchType, 'apply'>, live: object, patch: unknown, kind: { group: string; kind: string }): object {
  switch (type) {
    case 'json':
      return applyJsonPatch(live, patch);
    case 'merge':
      return applyMergePatch(live, patch);
    case 'strategic':
      if (!isBuiltInGroup(kind.group)) {
        // Custom resources have no Go types to take patch strategies from; the CRD handler
        // does not list the media type, so the request is refused before decoding.
        throw new PatchError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${acceptedPatchTypes(kind).join(', ')}`,
        );
      }
      return applyStrategicMergePatch(live, patch, schemaFor(kind.group, kind.kind));
  }
}
