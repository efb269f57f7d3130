/**
 * kube-controller-manager's namespace controller (pkg/controller/namespace): a Namespace the store marked Terminating
 * (deleted while its `spec.finalizers` hold `kubernetes`) is synced `delayMs` after each of its changes (upstream's
 * namespaceDeletionGracePeriod, 5 s, which is most of the time an empty namespace takes to go). A sync deletes every
 * namespaced object in the background, then writes the five status conditions upstream keeps
 * (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure,
 * NamespaceContentRemaining, NamespaceFinalizersRemaining) in upstream's words. While content remains (objects held by
 * finalizers) the namespace is looked at again after `requeueMs`, as upstream requeues on its estimate rather than on
 * the content's events; once nothing is left, `kubernetes` is removed through the `finalize` subresource and the
 * store removes the Namespace. Watches see MODIFIED (Terminating, then conditions), the contents DELETED, then the
 * Namespace DELETED.
 */
import { recordDelay } from '../condition-log.ts';
import { ApiError } from '../cluster/types.ts';
import type { KubeObject, ObjectStore, ResourceType, StoreEvent } from '../cluster/types.ts';
import { isTerminating } from './kube-objects.ts';
import { QueueController } from './queue-controller.ts';
import { storedTypes, typeFor } from './resource-lookup.ts';

/** The finalizer kube-apiserver puts in every Namespace's `spec.finalizers`, removed by this controller. */
export const kubernetesFinalizer = 'kubernetes';

export interface NamespaceControllerOptions {
  /** How long after a change of a Terminating namespace it is synced (upstream: 5 s); default 0. */
  delayMs?: number;
  /** How long before a namespace whose content remains is looked at again (upstream: half its estimate); default 500. */
  requeueMs?: number;
}

interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Upstream's condition types, in its order, with the reason and message of their "ok" (False) variant. */
const okConditions: [type: string, reason: string, message: string][] = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
];

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The conditions after a pass (status_condition_utils.go), keeping lastTransitionTime when a status did not change. */
export function namespaceConditions(old: NamespaceCondition[], failed: Record<string, { reason: string; message: string } | undefined>): NamespaceCondition[] {
  return okConditions.map(([type, reason, message]) => {
    const wanted = failed[type] ? { type, status: 'True' as const, ...failed[type] } : { type, status: 'False' as const, reason, message };
    const previous = old.find((c) => c.type === type);
    return { ...wanted, lastTransitionTime: previous && previous.status === wanted.status ? previous.lastTransitionTime : now() };
  });
}

export class NamespaceController extends QueueController {
  private readonly delayMs: number;
  private readonly requeueMs: number;

  constructor(store: ObjectStore, opts: NamespaceControllerOptions = {}) {
    super(store, { name: 'namespace', component: 'namespace-controller' });
    this.delayMs = opts.delayMs ?? 0;
    this.requeueMs = opts.requeueMs ?? 500;
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'Namespace')).items.filter(isTerminating).map((ns) => ns.metadata.name ?? '');
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    // Like upstream, only the Namespace's own changes bring it here (its own status writes included), each synced after
    // the grace delay; remaining content is re-checked on a timer.
    if (o.kind === 'Namespace' && !event.resource.namespaced && event.type !== 'DELETED' && isTerminating(o)) {
      const name = o.metadata.name ?? '';
      recordDelay('namespaceDeletion', { metadata: { namespace: name, name } }, this.delayMs);
      this.queue.enqueueAfter(name, this.delayMs);
    }
  }

  protected async reconcile(name: string): Promise<void> {
    const nsType = typeFor(this.store, 'Namespace');
    const ns = this.store.get(nsType, undefined, name);
    if (!ns || !isTerminating(ns) || !this.hasKubernetesFinalizer(ns)) return;

    const failures: string[] = [];
    for (const { type, object } of this.contents(name)) {
      if (isTerminating(object)) continue;
      try {
        await this.store.delete(type, name, object.metadata.name ?? '', { propagationPolicy: 'Background' });
      } catch (error) {
        if (error instanceof ApiError && error.code === 404) continue;
        failures.push(`${error instanceof Error ? error.message : String(error)}`);
      }
    }

    const remaining = this.contents(name);
    const byResource = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    for (const { type, object } of remaining) {
      byResource.set(`${type.plural}.${type.group}`, (byResource.get(`${type.plural}.${type.group}`) ?? 0) + 1);
      for (const finalizer of object.metadata.finalizers ?? []) byFinalizer.set(finalizer, (byFinalizer.get(finalizer) ?? 0) + 1);
    }
    const failed: Record<string, { reason: string; message: string } | undefined> = {};
    if (failures.length > 0) {
      failed.NamespaceDeletionContentFailure = { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.sort().join(', ')}` };
    }
    if (byResource.size > 0) {
      const list = [...byResource].map(([resource, n]) => `${resource} has ${n} resource instances`).sort();
      failed.NamespaceContentRemaining = { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list.join(', ')}` };
    }
    if (byFinalizer.size > 0) {
      const list = [...byFinalizer].map(([finalizer, n]) => `${finalizer} in ${n} resource instances`).sort();
      failed.NamespaceFinalizersRemaining = { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list.join(', ')}` };
    }
    await this.writeConditions(nsType, name, failed);

    if (remaining.length > 0 || failures.length > 0) {
      this.queue.enqueueAfter(name, this.requeueMs);
      return;
    }
    await this.store.mutate(nsType, undefined, name, (o) => {
      const spec = (o['spec'] ?? {}) as { finalizers?: string[] };
      spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== kubernetesFinalizer);
      o['spec'] = spec;
    }, { subresource: 'finalize' });
  }

  private hasKubernetesFinalizer(ns: KubeObject): boolean {
    return ((ns['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []).includes(kubernetesFinalizer);
  }

  /** Updates the Namespace's conditions through the status subresource, only when they change (as UpdateStatus is). */
  private async writeConditions(nsType: ResourceType, name: string, failed: Record<string, { reason: string; message: string } | undefined>): Promise<void> {
    const current = this.store.get(nsType, undefined, name);
    if (!current) return;
    const old = ((current.status as { conditions?: NamespaceCondition[] } | undefined)?.conditions) ?? [];
    const next = namespaceConditions(old, failed);
    const same = (a: NamespaceCondition, b: NamespaceCondition | undefined) => !!b && a.status === b.status && a.reason === b.reason && a.message === b.message;
    if (next.every((c) => same(c, old.find((o) => o.type === c.type)))) return;
    await this.store.mutate(nsType, undefined, name, (o) => {
      const status = (o.status ?? {}) as Record<string, unknown>;
      const others = ((status.conditions as NamespaceCondition[] | undefined) ?? []).filter((c) => !okConditions.some(([type]) => type === c.type));
      o.status = { ...status, conditions: [...others, ...next] };
    }, { subresource: 'status' });
  }

  private contents(namespace: string): { type: ResourceType; object: KubeObject }[] {
    return storedTypes(this.store)
      .filter((type) => type.namespaced && type.verbs.includes('delete'))
      .flatMap((type) => this.store.list(type, { namespace }).items.map((object) => ({ type, object })));
  }
}
