// Namespace deletion conditions with upstream's types, reasons and messages
// (pkg/controller/namespace/deletion/status_condition_utils.go).

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const OK_MESSAGES: Record<string, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content successfully removed',
};

const OK_REASONS: Record<string, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentRemoved',
};

/** What one pass over the namespace's content found. */
export interface ContentTotals {
  /** `resource.group` (group empty for core, so `pods.`) → objects still present. */
  remainingByResource: Map<string, number>;
  /** finalizer → objects still carrying it. */
  remainingByFinalizer: Map<string, number>;
  /** One message per resource whose deletion failed. */
  deleteErrors: string[];
}

/** The failure conditions this pass warrants; missing types mean "ok". */
export function failureConditions(t: ContentTotals, now: string): NamespaceCondition[] {
  const out: NamespaceCondition[] = [];
  if (t.deleteErrors.length) {
    const msgs = [...t.deleteErrors].sort();
    out.push({
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      lastTransitionTime: now,
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    });
  }
  const remaining = [...t.remainingByResource].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`);
  if (remaining.length) {
    out.push({
      type: 'NamespaceContentRemaining',
      status: 'True',
      lastTransitionTime: now,
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${remaining.sort().join(', ')}`,
    });
  }
  const fins = [...t.remainingByFinalizer].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`);
  if (fins.length) {
    out.push({
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      lastTransitionTime: now,
      // Upstream spells this reason without the "s".
      reason: 'SomeFinalizerRemain',
      message: `Some finalizers are remaining: ${fins.sort().join(', ')}`,
    });
  }
  return out;
}

/**
 * Merges the new conditions into the old list as updateConditions does: every managed
 * type is present, failures as True and the rest as the False "ok" variant; the
 * transition time only moves when the status flips. Returns the list and whether it changed.
 */
export function mergeConditions(
  old: NamespaceCondition[] | undefined,
  fresh: NamespaceCondition[],
  now: string,
): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (old ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const want = fresh.find((c) => c.type === type) ?? {
      type,
      status: 'False' as const,
      lastTransitionTime: now,
      reason: OK_REASONS[type],
      message: OK_MESSAGES[type],
    };
    const have = conditions.find((c) => c.type === type);
    if (!have) {
      conditions.push(want);
      changed = true;
    } else if (have.status !== want.status || have.reason !== want.reason || have.message !== want.message) {
      if (have.status !== want.status) have.lastTransitionTime = now;
      have.status = want.status;
      have.reason = want.reason;
      have.message = want.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
