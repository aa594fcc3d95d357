import type { KObject, WebhookAnswer } from '../types.js';
import { istioWebhookAnswer } from '../validation/istio-webhook.js';
import { admitIngress } from './ingress.js';
import type { AdmissionContext } from './context.js';
import { admitPod } from './pod.js';

export { AdmissionForbidden, type AdmissionContext } from './context.js';

/** Mutating admission on create, by kind key: runs after defaulting and before validation. */
export const admitters: Record<string, (obj: KObject, ctx: AdmissionContext) => void> = {
  '/Pod': admitPod,
  'networking.k8s.io/Ingress': admitIngress,
};

const istioWebhook = (kind: string) => (obj: KObject) => istioWebhookAnswer(kind, obj);

/** Validating admission webhooks by kind key; istiod's validation.istio.io answers for the Istio kinds. */
export const validatingWebhooks: Record<string, (obj: KObject) => WebhookAnswer | undefined> = {
  'networking.istio.io/Gateway': istioWebhook('Gateway'),
  'networking.istio.io/VirtualService': istioWebhook('VirtualService'),
  'networking.istio.io/DestinationRule': istioWebhook('DestinationRule'),
  'networking.istio.io/ServiceEntry': istioWebhook('ServiceEntry'),
};
