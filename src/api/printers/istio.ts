import type { Printer } from '../types.js';
import { crdPrinter, type CrdColumn } from './crd.js';

// The additionalPrinterColumns of Istio's networking.istio.io CRDs (from the +cue-gen
// printerColumn tags in istio/api). Gateway declares none, so it gets the CRD default (Age).

const AGE: CrdColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC. Populated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#metadata',
};

export const gatewayPrinter: Printer = crdPrinter([]);

export const virtualServicePrinter: Printer = crdPrinter([
  { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'The names of gateways and sidecars that should apply these routes' },
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The destination hosts to which traffic is being sent' },
  AGE,
]);

export const destinationRulePrinter: Printer = crdPrinter([
  { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The name of a service from the service registry' },
  AGE,
]);

export const serviceEntryPrinter: Printer = crdPrinter([
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts associated with the ServiceEntry' },
  {
    name: 'Location',
    type: 'string',
    jsonPath: '.spec.location',
    description: 'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)',
  },
  { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'Service discovery mode for the hosts (NONE, STATIC, or DNS)' },
  AGE,
]);
