// Which patch media types a kind accepts. Strategic merge needs the Go types' patch strategies,
// so upstream serves it only for kinds compiled into the apiserver; custom resources (Istio's
// here) take JSON patch, merge patch and apply. The OpenAPI document must say the same:
// kubectl sends a strategic merge patch to every GVK whose PATCH operation lists the type.

/** Whether the kind is compiled into the apiserver (and kubectl), rather than served as a CRD. */
export function isBuiltInGroup(group: string): boolean {
  return !group.includes('.') || group.endsWith('.k8s.io');
}

/** The media types a kind accepts for PATCH, in upstream's order (for the 415 message). */
export function acceptedPatchTypes(kind: { group: string }): string[] {
  return isBuiltInGroup(kind.group)
    ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']
    : ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
}
