/** Label keys the harness stamps on everything it creates, so it can find (and only delete) its own objects. */
export const runLabelKeys = {
  runId: 'mesh-conformance.io/run-id',
  createdAt: 'mesh-conformance.io/created-at',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** A run id: sortable, label-safe, unique enough per machine (`20241124-203700-k3x9`). */
export function generateRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/** A label-safe UTC timestamp (`20241124T203700Z`): ISO's colons are not allowed in label values. */
export function labelTimestamp(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/** The labels of every object a run creates. */
export function runLabels(runId: string, now = new Date()): Record<string, string> {
  return { [runLabelKeys.runId]: runId, [runLabelKeys.createdAt]: labelTimestamp(now), [runLabelKeys.managedBy]: 'mesh-conformance' };
}

/** `mesh-conformance.io/run-id=<id>`: selects everything one run created. */
export function runSelector(runId: string): string {
  return `${runLabelKeys.runId}=${runId}`;
}
