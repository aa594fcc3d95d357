import type { KObject } from '../../../../api/types.js';

// The analysis messages istiod's analyzers report, as pkg/config/analysis/msg/messages.yaml
// defines them: code, name, level and template.

export type Level = 'Error' | 'Warning' | 'Info';

export interface MessageType {
  code: string;
  name: string;
  level: Level;
}

export interface AnalysisMessage {
  type: MessageType;
  /** The template filled with the message's parameters. */
  text: string;
}

/** One object's messages, the object as the analyzer read it. */
export interface Finding {
  resource: KObject;
  message: AnalysisMessage;
}

const type = (code: string, name: string, level: Level): MessageType => ({ code, name, level });

export const REFERENCED_RESOURCE_NOT_FOUND = type('IST0101', 'ReferencedResourceNotFound', 'Error');
export const CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS = type('IST0109', 'ConflictingMeshGatewayVirtualServiceHosts', 'Error');
export const VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY = type('IST0132', 'VirtualServiceHostNotFoundInGateway', 'Warning');
export const DESTINATION_RULE_SUBSET_NOT_SELECT_PODS = type('IST0173', 'DestinationRuleSubsetNotSelectPods', 'Error');
export const UNKNOWN_DESTINATION_RULE_HOST = type('IST0174', 'UnknownDestinationRuleHost', 'Warning');

/** Go's %q for the parameters the templates quote. */
const q = (s: string) => JSON.stringify(s);

export function referencedResourceNotFound(reftype: string, refval: string): AnalysisMessage {
  return { type: REFERENCED_RESOURCE_NOT_FOUND, text: `Referenced ${reftype} not found: ${q(refval)}` };
}

export function conflictingMeshGatewayVirtualServiceHosts(virtualServices: string, host: string): AnalysisMessage {
  return {
    type: CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS,
    text: `The VirtualServices ${virtualServices} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
  };
}

export function virtualServiceHostNotFoundInGateway(hosts: string[], virtualService: string, gateway: string): AnalysisMessage {
  // %v of a []string: [a b].
  return { type: VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY, text: `one or more host [${hosts.join(' ')}] defined in VirtualService ${virtualService} not found in Gateway ${gateway}.` };
}

export function destinationRuleSubsetNotSelectPods(subset: string): AnalysisMessage {
  return {
    type: DESTINATION_RULE_SUBSET_NOT_SELECT_PODS,
    text: `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  };
}

export function unknownDestinationRuleHost(host: string): AnalysisMessage {
  return { type: UNKNOWN_DESTINATION_RULE_HOST, text: `The host ${host} defined in the DestinationRule does not match any services in the mesh.` };
}
