import { parseIndexes } from './indexes.js';

// spec.successPolicy of an Indexed Job (matchSuccessPolicy in pkg/controller/job/success_policy.go):
// the Job has succeeded once the first rule whose indexes or count the succeeded indexes meet.

interface Rule {
  succeededIndexes?: string;
  succeededCount?: number;
}

export interface SuccessPolicy {
  rules?: Rule[];
}

/** "Matched rules at index N" for the first rule met, else undefined. */
export function matchSuccessPolicy(policy: SuccessPolicy, completions: number, succeeded: Set<number>): string | undefined {
  if (succeeded.size === 0) return undefined;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    if (rule.succeededIndexes != null) {
      const wanted = parseIndexes(rule.succeededIndexes, completions);
      // A rule whose indexes cannot be read selects nothing and never matches.
      if (wanted.size === 0) continue;
      const done = [...wanted].filter((ix) => succeeded.has(ix)).length;
      if (rule.succeededCount != null ? done >= rule.succeededCount : done === wanted.size) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount != null && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
