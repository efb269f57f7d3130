import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import type { ObjectRef } from './resources.ts';
import { describeRef } from './resources.ts';
import { runLabelKeys } from './run-labels.ts';

/** What a cleanup did, for the report and for a loud failure. */
export interface CleanupReport {
  deleted: string[];
  /** Objects in a namespace this run created, left to that namespace's deletion rather than deleted one by one. */
  withNamespace: string[];
  alreadyGone: string[];
  refused: string[];
  errors: string[];
}

/**
 * Everything a run created, registered at creation time and deleted last-in-first-out (chainsaw's
 * cleaner). It deletes only objects that carry this run's run-id label, so it never removes what it did not create.
 */
export class CleanupRegistry {
  private readonly entries: ObjectRef[] = [];

  constructor(private readonly client: KubeClient, private readonly runId: string) {}

  /** Registers an object just created (or applied) by this run; registering twice is harmless. */
  register(obj: KubernetesObject | ObjectRef): void {
    const ref = 'metadata' in obj || !('name' in obj) ? toRef(obj) : obj;
    if (!this.entries.some((e) => sameRef(e, ref))) this.entries.push(ref);
  }

  /** The registered objects, in creation order (diagnostics dumps each of them). */
  get objects(): readonly ObjectRef[] {
    return this.entries;
  }

  /**
   * Deletes every registered object, newest first; keeps going past errors and reports them all. An object in a
   * namespace this run created (and that still carries its run id) goes with that namespace: deleting the namespace
   * deletes what is in it, so it is not read and deleted on its own (two API requests an object saved).
   */
  async deleteAll(opts: { budgetMs: number; signal?: AbortSignal }): Promise<CleanupReport> {
    const report: CleanupReport = { deleted: [], withNamespace: [], alreadyGone: [], refused: [], errors: [] };
    const entries = [...this.entries].reverse();
    const read = new Map<ObjectRef, KubernetesObject | undefined>();
    for (const ref of entries.filter(isNamespace)) {
      // A read that fails here is read again, and reported, in the loop below.
      try {
        read.set(ref, await this.client.read(ref, opts));
      } catch {
        continue;
      }
    }
    const ownNamespaces = new Set(entries.filter((ref) => isNamespace(ref) && this.owns(read.get(ref))).map((ref) => ref.name));
    for (const ref of entries) {
      const name = describeRef(ref);
      if (ref.namespace !== undefined && ownNamespaces.has(ref.namespace)) {
        report.withNamespace.push(name);
        continue;
      }
      try {
        const current = read.has(ref) ? read.get(ref) : await this.client.read(ref, opts);
        if (!current) {
          report.alreadyGone.push(name);
          continue;
        }
        if (!this.owns(current)) {
          report.refused.push(`${name} (label ${runLabelKeys.runId}=${current.metadata?.labels?.[runLabelKeys.runId] ?? '<none>'}, this run is ${this.runId})`);
          continue;
        }
        if (await this.client.delete(ref, opts)) report.deleted.push(name);
        else report.alreadyGone.push(name);
      } catch (err) {
        report.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.entries.length = 0;
    return report;
  }

  private owns(obj: KubernetesObject | undefined): boolean {
    return obj?.metadata?.labels?.[runLabelKeys.runId] === this.runId;
  }
}

const isNamespace = (ref: ObjectRef): boolean => ref.kind === 'Namespace' && ref.apiVersion === 'v1';

function toRef(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata?.name ?? '',
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
  };
}

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.apiVersion === b.apiVersion && a.name === b.name && a.namespace === b.namespace;
}
