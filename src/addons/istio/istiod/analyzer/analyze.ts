import type { KObject } from '../../../../api/types.js';
import { analyzeSubsetPods, PodLabels } from './destinationrule.js';
import { analyzeMeshGatewayHosts } from './mesh-gateway-hosts.js';
import type { Finding } from './messages.js';
import { serviceHostMap } from './service-hosts.js';
import { analyzeDestinationHosts, analyzeDestinationSubsets, analyzeGateways, destinationSubsets } from './virtualservice.js';

// The analyzers istiod runs in the cluster, over one snapshot of what they read; a plain
// function of its input, as every run analyzes everything again (ReAnalyzeSubset).

export interface AnalysisInput {
  gateways: KObject[];
  virtualServices: KObject[];
  destinationRules: KObject[];
  serviceEntries: KObject[];
  services: KObject[];
  pods: KObject[];
}

const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function analyze(input: AnalysisInput): Finding[] {
  const hosts = serviceHostMap(input.serviceEntries, input.services);
  const subsets = destinationSubsets(input.destinationRules);
  const gateways = new Map(input.gateways.map((g) => [key(g), g]));
  const pods = new PodLabels(input.pods);
  return [
    ...input.virtualServices.flatMap((vs) => analyzeDestinationHosts(vs, hosts)),
    ...input.virtualServices.flatMap((vs) => analyzeDestinationSubsets(vs, subsets)),
    ...input.virtualServices.flatMap((vs) => analyzeGateways(vs, gateways)),
    ...analyzeMeshGatewayHosts(input.virtualServices),
    ...input.destinationRules.flatMap((dr) => analyzeSubsetPods(dr, hosts, pods)),
  ];
}
