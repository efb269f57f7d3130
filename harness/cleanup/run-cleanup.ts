import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { runSelector } from '../k8s/run-labels.ts';
import { WatchedCollection } from '../k8s/watched-collection.ts';
import { intervals } from '../timeouts.ts';
import { WaitTimeoutError, waitFor } from '../wait/wait-for.ts';
import { finalizerHolders } from '../k8s/namespace-contents.ts';

/** What the run's final cleanup found and did. */
export interface RunCleanupReport {
  /** Namespaces of the run still present when the runner ended (the fixture did not get to them). */
  found: string[];
  deleted: string[];
  kept: string[];
  /** True when nothing of the run (apart from `kept`) exists any more. */
  gone: boolean;
  errors: string[];
  elapsedMs: number;
}

/**
 * The safety net after the test runner ends, however it ended (interrupted in any phase, worker crash): deletes
 * every namespace still carrying this run's id, except those kept on failure, and waits, bounded, until they
 * are gone. It only touches objects labelled with this run's id, so it never removes what the run did not create.
 */
export async function deleteRunLeftovers(client: KubeClient, runId: string, opts: { keep?: readonly string[]; budgetMs: number; waitMs: number; signal?: AbortSignal }): Promise<RunCleanupReport> {
  const started = Date.now();
  const keep = new Set(opts.keep ?? []);
  const report: RunCleanupReport = { found: [], deleted: [], kept: [], gone: false, errors: [], elapsedMs: 0 };
  const call = { budgetMs: opts.budgetMs, signal: opts.signal };
  const list = await client.list<V1Namespace>(resourceTypes.namespace, { labelSelector: runSelector(runId) }, call);
  const failed = new Set<string>();
  for (const ns of list.items) {
    const name = ns.metadata?.name ?? '';
    report.found.push(name);
    if (keep.has(name)) {
      report.kept.push(name);
      continue;
    }
    try {
      if (!ns.metadata?.deletionTimestamp && await client.delete({ ...resourceTypes.namespace, name }, call)) report.deleted.push(name);
    } catch (err) {
      failed.add(name);
      report.errors.push(`could not delete ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // A namespace whose delete failed (403, …) will not go: waiting for it would only spend the budget.
  const pending = (all: V1Namespace[]): string[] => all.map((n) => n.metadata?.name ?? '').filter((n) => !keep.has(n) && !failed.has(n));
  if (pending(list.items).length === 0) {
    report.gone = failed.size === 0;
  } else {
    const deadline = Date.now() + opts.waitMs;
    const watched = await new WatchedCollection<V1Namespace>(client, resourceTypes.namespace, { labelSelector: runSelector(runId) }, Math.min(opts.budgetMs, opts.waitMs)).start();
    try {
      await waitFor({
        description: `the namespaces of run ${runId} to be deleted`,
        timeoutMs: Math.max(0, deadline - Date.now()),
        limitMs: opts.waitMs,
        signal: opts.signal,
        intervalMs: intervals.watchResync,
        changes: watched.subscribe,
        probe: () => {
          const left = pending(watched.list());
          return left.length === 0 ? { done: true, observed: 'none left' } : { done: false, observed: `still present: ${left.join(', ')}` };
        },
      });
      report.gone = failed.size === 0;
    } catch (err) {
      let message = err instanceof Error ? err.message : String(err);
      if (err instanceof WaitTimeoutError) {
        const holders = (await Promise.all(pending(watched.list()).map((n) => finalizerHolders(client, n, { budgetMs: opts.budgetMs }).catch(() => [])))).flat();
        if (holders.length) message = `${message}; held by ${holders.join(', ')}`;
      }
      report.errors.push(message);
    } finally {
      await watched.stop();
    }
  }
  report.elapsedMs = Date.now() - started;
  return report;
}
