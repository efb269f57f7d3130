/**
 * The metrics backend's collection (Container insights' ConfigMap) across a run's copies of the flow
 * (`--namespaces N`). Each edit of that ConfigMap restarts the Azure Monitor agent (issue 14 §2: inotify, then a
 * liveness failure and a restart; only after it does the agent read the new list), so a run lists all its namespaces in
 * one edit and takes them out in one edit:
 * - every copy registers its namespace in the run's folder when it creates it (`registerRunNamespace`);
 * - the first metrics check to need the collection lists its own namespace and every registered one that is still
 *   running (`namespacesToCollect`); the copies after it find theirs listed and write nothing;
 * - what a change will add is journaled before it is sent (`journalCollection`), and the CLI takes all of it out after
 *   the runner ended, however it ended (`restoreJournaledCollection`), in one edit. A single copy restores its own
 *   change when its test ends, as before, and drops the journal entry.
 * The names are the run's own generated namespaces, so taking them out can never remove an entry someone else made.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { CollectionChange, MetricsCollection } from './mesh-metrics.ts';

/** The run folders the batching reads (`runPaths(...)`'s `namespaces`, `cleanup` and `metricsCollection`). */
export interface CollectionPaths {
  /** One empty file per namespace of the run, written when it is created. */
  namespaces: string;
  /** One record per namespace whose teardown ran (fixtures/namespace.ts). */
  cleanup: string;
  /** The journal: one file per change, the namespaces it lists. */
  metricsCollection: string;
}

/** Records a namespace of the run, for the copy that lists them all. */
export function registerRunNamespace(paths: Pick<CollectionPaths, 'namespaces'>, name: string): void {
  mkdirSync(paths.namespaces, { recursive: true });
  writeFileSync(join(paths.namespaces, name), '');
}

const files = (dir: string, suffix = ''): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)).sort() : []);

/**
 * `own` first, then every namespace the run registered whose teardown has not run yet (a copy that ended no longer
 * needs collecting, and its namespace may be gone).
 */
export function namespacesToCollect(paths: CollectionPaths, own: string): string[] {
  const ended = new Set(files(paths.cleanup, '.json').map((f) => f.slice(0, -'.json'.length)));
  return [own, ...files(paths.namespaces).filter((n) => n !== own && !ended.has(n))];
}

/** Journals the namespaces a change is about to list; returns the journal file (remove it once restored). */
export function journalCollection(paths: Pick<CollectionPaths, 'metricsCollection'>, namespaces: readonly string[]): string {
  mkdirSync(paths.metricsCollection, { recursive: true });
  const file = join(paths.metricsCollection, `${Date.now()}-${process.pid}-${namespaces[0] ?? 'none'}.json`);
  writeFileSync(file, `${JSON.stringify({ namespaces })}\n`, { mode: 0o600 });
  return file;
}

/** Every namespace the journal holds (unique, in journal order). */
export function journaledNamespaces(paths: Pick<CollectionPaths, 'metricsCollection'>): string[] {
  const names = files(paths.metricsCollection, '.json').flatMap((f): string[] => {
    try {
      const listed = (JSON.parse(readFileSync(join(paths.metricsCollection, f), 'utf8')) as { namespaces?: unknown }).namespaces;
      return Array.isArray(listed) ? listed.filter((n): n is string => typeof n === 'string') : [];
    } catch {
      return [];
    }
  });
  return [...new Set(names)];
}

/**
 * After the runner: takes every journaled namespace out of the collection object in one edit, then empties the
 * journal. Returns what it did (undefined when the journal was empty). Throws when the API refuses, leaving the journal
 * for `mesh-conformance cleanup` to try again.
 */
export async function restoreJournaledCollection(client: KubeClient, collection: MetricsCollection, paths: Pick<CollectionPaths, 'metricsCollection'>, budgetMs: number): Promise<string | undefined> {
  const namespaces = journaledNamespaces(paths);
  const journal = files(paths.metricsCollection, '.json');
  if (!journal.length) return undefined;
  const change: CollectionChange = { namespaces, summary: '' };
  const done = namespaces.length ? await collection.restore(client, change, budgetMs) : undefined;
  for (const f of journal) rmSync(join(paths.metricsCollection, f), { force: true });
  return done;
}
