/**
 * Which kinds arrive as protobuf and which message describes each. kubectl >= 1.32 sends
 * protobuf from its typed clients: `create <generator>`, `autoscale` and `auth can-i`
 * (kubectl-protocol.md §2 item 3).
 */
import { defineMessages, messageSpec, type MessageSpec } from './schema.js';
import { metaMessages, valueTypeMessages } from './messages/meta.js';
import { coreMessages } from './messages/core.js';
import { workloadMessages } from './messages/workloads.js';
import { networkingMessages } from './messages/networking.js';
import { autoscalingMessages } from './messages/autoscaling.js';
import { authorizationMessages } from './messages/authorization.js';
import { authenticationMessages } from './messages/authentication.js';

for (const group of [valueTypeMessages, metaMessages, coreMessages, workloadMessages, networkingMessages, autoscalingMessages, authorizationMessages, authenticationMessages]) {
  defineMessages(group);
}

const KIND_MESSAGES: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Service': 'Service',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/ResourceQuota': 'ResourceQuota',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscalerV1',
  'autoscaling/v2/HorizontalPodAutoscaler': 'HorizontalPodAutoscalerV2',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
};

/** The message for apiVersion + kind, or undefined when that kind is not decoded from protobuf. */
export function messageForKind(apiVersion: string, kind: string): MessageSpec | undefined {
  const name = KIND_MESSAGES[`${apiVersion}/${kind}`];
  return name === undefined ? undefined : messageSpec(name);
}

/** Every apiVersion/kind pair decodeProtobuf understands. */
export function protobufKinds(): Array<{ apiVersion: string; kind: string }> {
  return Object.keys(KIND_MESSAGES).map((key) => {
    const slash = key.lastIndexOf('/');
    return { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1) };
  });
}
