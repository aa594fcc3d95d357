import type { KObject, WebhookAnswer } from '../types.js';
import { errorText, type Validation } from './istio-errors.js';
import { validateDestinationRule } from './istio-destinationrule.js';
import { validateGateway } from './istio-gateway.js';
import { validateServiceEntry } from './istio-serviceentry.js';
import { validateVirtualService } from './istio-virtualservice.js';

// What istiod's validating webhook (pkg/webhooks/validation/server) answers for an Istio
// object on create and update: the kind's ValidateConfig behind the metadata checks every
// kind shares (validateMetadata), its error as "configuration is invalid: <error>", and its
// warnings one per entry.

export const ISTIO_WEBHOOK = 'validation.istio.io';

const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
const ALWAYS_REJECT = 'internal.istio.io/webhook-always-reject';
const INTERNAL_PARENT_NAMESPACE = 'internal.istio.io/parent-namespace';
const INTERNAL_PARENT_NAMES = 'internal.istio.io/parents';

const BY_KIND: Record<string, (obj: KObject) => Validation> = {
  Gateway: validateGateway,
  VirtualService: validateVirtualService,
  DestinationRule: validateDestinationRule,
  ServiceEntry: validateServiceEntry,
};


function metadataError(obj: KObject): string | undefined {
  const a = obj.metadata.annotations ?? {};
  // Only AuthorizationPolicy (security.istio.io) takes the dry-run annotation.
  if (a[DRY_RUN_ANNOTATION] !== undefined) return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''} has unsupported annotation ${DRY_RUN_ANNOTATION}, please remove the annotation`;
  if (a[ALWAYS_REJECT] !== undefined) return `"${ALWAYS_REJECT}" annotation found, rejecting`;
  if (a[INTERNAL_PARENT_NAMESPACE] !== undefined) return `"${INTERNAL_PARENT_NAMESPACE}" annotation found, this may not be set by users`;
  if (a[INTERNAL_PARENT_NAMES] !== undefined) return `"${INTERNAL_PARENT_NAMES}" annotation found, this may not be set by users`;
  return undefined;
}

function hasNull(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  for (const x of Array.isArray(v) ? v : Object.values(v as object)) if (hasNull(x)) return true;
  return false;
}

/** JSON nulls as the webhook's protobuf decoding reads them: fields left unset. Copies only when there are any. */
function withoutNulls(v: unknown): unknown {
  if (!hasNull(v)) return v;
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

/** The webhook's answer for one networking.istio.io object, or undefined for a kind it does not check. */
export function istioWebhookAnswer(kind: string, obj: KObject): WebhookAnswer | undefined {
  const validate = BY_KIND[kind];
  if (!validate) return undefined;
  const meta = metadataError(obj);
  if (meta) return { webhook: ISTIO_WEBHOOK, denied: `configuration is invalid: ${meta}`, warnings: [] };
  const v = validate({ ...obj, spec: withoutNulls(obj.spec) });
  const warnings = v.warning ? [...v.warning.msgs] : [];
  return v.err ? { webhook: ISTIO_WEBHOOK, denied: `configuration is invalid: ${errorText(v.err)}`, warnings } : { webhook: ISTIO_WEBHOOK, warnings };
}
