import type { KObject } from '../../api/types.js';

// spec.podFailurePolicy matched against a failed pod (matchPodFailurePolicy in
// pkg/controller/job/pod_failure_policy.go): the first rule whose exit codes or pod conditions
// match decides whether the failure fails the Job, is ignored, or counts toward backoffLimit.

interface ExitCodes {
  containerName?: string;
  operator?: string;
  values?: number[];
}

interface Rule {
  action?: string;
  onExitCodes?: ExitCodes;
  onPodConditions?: { type?: string; status?: string }[];
}

interface ContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
}

export interface PodFailurePolicy {
  rules?: Rule[];
}

export interface PolicyMatch {
  /** Set when a FailJob rule matched: the message of the Job's FailureTarget condition. */
  failJobMessage?: string;
  /** False when an Ignore rule matched: the failure is not counted at all. */
  countFailed: boolean;
}

/** The first terminated container with a non-zero exit code the requirement selects (getMatchingContainerFromList). */
function matchingContainer(statuses: ContainerStatus[] | undefined, req: ExitCodes): ContainerStatus | undefined {
  return (statuses ?? []).find((c) => {
    const code = c.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (req.containerName != null && req.containerName !== c.name) return false;
    const listed = (req.values ?? []).includes(code);
    return req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false;
  });
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: KObject): PolicyMatch {
  if (!policy) return { countFailed: true };
  const status = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; conditions?: { type: string; status: string }[] };
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const c = matchingContainer(status.containerStatuses, rule.onExitCodes) ?? matchingContainer(status.initContainerStatuses, rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${where} failed with exit code ${c.state?.terminated?.exitCode} matching FailJob rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const cond = (status.conditions ?? []).find((pc) => rule.onPodConditions?.some((p) => p.type === pc.type && p.status === pc.status));
      if (!cond) continue;
      failJobMessage = `Pod ${where} has condition ${cond.type} matching FailJob rule at index ${i}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false };
      case 'Count':
        return { countFailed: true };
      case 'FailJob':
        return { failJobMessage, countFailed: true };
      // FailIndex counts like Count here: this controller keeps no per-index backoff.
      case 'FailIndex':
        return { countFailed: true };
      default:
        continue;
    }
  }
  return { countFailed: true };
}
