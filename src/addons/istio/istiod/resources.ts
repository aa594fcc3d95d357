import type { Resource } from '../../../client/client.js';

// The networking.istio.io resources istiod reads and writes the status of.

const istio = (kind: string, plural: string): Resource => ({ group: 'networking.istio.io', version: 'v1', plural, kind, namespaced: true });

export const GATEWAYS = istio('Gateway', 'gateways');
export const VIRTUAL_SERVICES = istio('VirtualService', 'virtualservices');
export const DESTINATION_RULES = istio('DestinationRule', 'destinationrules');
export const SERVICE_ENTRIES = istio('ServiceEntry', 'serviceentries');
