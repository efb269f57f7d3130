import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { runLabelKeys } from '../k8s/run-labels.ts';
import { formatDuration } from '../timeouts.ts';

/**
 * Annotation a live run renews on its namespace (the lease): while it is fresh the run is alive, whatever
 * its age, and no sweep touches it. A run that died (SIGKILL, lost machine) stops renewing it.
 */
export const heartbeatAnnotation = 'mesh-conformance.io/heartbeat';

/** How often a live run renews its heartbeat, and after how long without one it counts as dead. */
export const heartbeat = { intervalMs: 15_000, staleAfterMs: 60_000 } as const;

/** Default age after which a dead run's namespace is swept (`--ttl`, `MESH_CONFORMANCE_SWEEP_TTL`). */
export const defaultSweepTtlMs = 60 * 60_000;

/** Why a run namespace is, or is not, swept. */
export type LeftoverVerdict = 'sweep' | 'own-run' | 'younger-than-ttl' | 'live' | 'terminating' | 'not-ours';

/** One namespace carrying the run-id label, with the decision about it. */
export interface RunNamespaceInfo {
  name: string;
  runId: string;
  /** When the run created it (the created-at label; creationTimestamp when the label is unreadable). */
  createdAt: Date | undefined;
  /** The last heartbeat the run wrote, if any. */
  heartbeatAt: Date | undefined;
  verdict: LeftoverVerdict;
  /** The verdict in words, for `--dry-run` and the run's log line. */
  reason: string;
}

/** Parses the created-at label (`20241124T203700Z`, see run-labels.ts). */
export function parseLabelTimestamp(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function parseIso(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Decides about one namespace: swept only when it carries our labels, is not this run's, is not already
 * terminating, is older than the TTL, and has no fresh heartbeat. Pure, so the rules are unit-tested.
 */
export function classifyRunNamespace(ns: V1Namespace, opts: { now: Date; ttlMs: number; ownRunId?: string | undefined }): RunNamespaceInfo {
  const labels = ns.metadata?.labels ?? {};
  const name = ns.metadata?.name ?? '';
  const runId = labels[runLabelKeys.runId] ?? '';
  const createdAt = parseLabelTimestamp(labels[runLabelKeys.createdAt]) ?? parseIso(ns.metadata?.creationTimestamp);
  const heartbeatAt = parseIso(ns.metadata?.annotations?.[heartbeatAnnotation]);
  const info = (verdict: LeftoverVerdict, reason: string): RunNamespaceInfo => ({ name, runId, createdAt, heartbeatAt, verdict, reason });
  const now = opts.now.getTime();
  if (!runId || labels[runLabelKeys.managedBy] !== 'mesh-conformance') return info('not-ours', `no ${runLabelKeys.runId} label or not managed by mesh-conformance`);
  if (runId === opts.ownRunId) return info('own-run', 'created by this run');
  if (ns.metadata?.deletionTimestamp) return info('terminating', 'already being deleted');
  const age = createdAt ? now - createdAt.getTime() : Number.POSITIVE_INFINITY;
  if (age < opts.ttlMs) return info('younger-than-ttl', `created ${formatDuration(age)} ago, TTL ${formatDuration(opts.ttlMs)}`);
  if (heartbeatAt && now - heartbeatAt.getTime() < heartbeat.staleAfterMs) {
    return info('live', `run still alive (heartbeat ${formatDuration(Math.max(0, now - heartbeatAt.getTime()))} ago)`);
  }
  const hb = heartbeatAt ? `last heartbeat ${formatDuration(now - heartbeatAt.getTime())} ago` : 'no heartbeat';
  return info('sweep', `run ${runId} is dead: created ${createdAt ? `${formatDuration(age)} ago` : 'at an unknown time'}, ${hb}`);
}

/** Every namespace with the run-id label, classified (the sweep's plan; `--dry-run` prints it). */
export async function findRunNamespaces(client: KubeClient, opts: { now?: Date; ttlMs: number; ownRunId?: string | undefined; budgetMs: number; signal?: AbortSignal }): Promise<RunNamespaceInfo[]> {
  const list = await client.list<V1Namespace>(resourceTypes.namespace, { labelSelector: runLabelKeys.runId }, { budgetMs: opts.budgetMs, signal: opts.signal });
  const now = opts.now ?? new Date();
  return list.items.map((ns) => classifyRunNamespace(ns, { now, ttlMs: opts.ttlMs, ownRunId: opts.ownRunId }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What a sweep did. */
export interface SweepReport {
  considered: RunNamespaceInfo[];
  deleted: string[];
  /** Namespaces that changed between listing and deleting (relabelled, heartbeat renewed): left alone. */
  skipped: string[];
  errors: string[];
}

/**
 * Deletes the namespaces of dead runs older than the TTL (everything a run creates lives in its namespace, so
 * that removes all of it). Each is re-read and re-classified right before its delete, so a run that renewed
 * its heartbeat in between is never touched. `dryRun` only plans.
 */
export async function sweepLeftovers(client: KubeClient, opts: { ttlMs: number; ownRunId?: string | undefined; dryRun?: boolean; budgetMs: number; signal?: AbortSignal; now?: () => Date }): Promise<SweepReport> {
  const now = opts.now ?? (() => new Date());
  const considered = await findRunNamespaces(client, { ...opts, now: now() });
  const report: SweepReport = { considered, deleted: [], skipped: [], errors: [] };
  if (opts.dryRun) return report;
  for (const ns of considered.filter((n) => n.verdict === 'sweep')) {
    try {
      const current = await client.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs: opts.budgetMs, signal: opts.signal });
      if (!current) continue;
      const again = classifyRunNamespace(current, { now: now(), ttlMs: opts.ttlMs, ownRunId: opts.ownRunId });
      if (again.verdict !== 'sweep' || again.runId !== ns.runId) {
        report.skipped.push(`${ns.name} (${again.reason})`);
        continue;
      }
      if (await client.delete({ ...resourceTypes.namespace, name: ns.name }, { budgetMs: opts.budgetMs, signal: opts.signal })) report.deleted.push(ns.name);
    } catch (err) {
      report.errors.push(`${ns.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}
