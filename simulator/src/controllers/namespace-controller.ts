/**
 * kube-controller-manager's namespace controller: a Namespace the store marked Terminating (deleted while its
 * `spec.finalizers` hold `kubernetes`) is emptied, every namespaced object in it deleted in the background, and once
 * nothing is left (objects with finalizers go when theirs are removed) the controller removes `kubernetes` through
 * the `finalize` subresource, which lets the store remove the Namespace. Watches see MODIFIED (Terminating), the
 * contents DELETED, then the Namespace DELETED.
 */
import { ApiError } from '../cluster/types.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { isTerminating } from './kube-objects.ts';
import { QueueController } from './queue-controller.ts';
import { storedTypes, typeFor } from './resource-lookup.ts';

/** The finalizer kube-apiserver puts in every Namespace's `spec.finalizers`, removed by this controller. */
export const kubernetesFinalizer = 'kubernetes';

export class NamespaceController extends QueueController {
  /** Namespaces being terminated, so a deletion inside one re-checks whether it is empty. */
  private readonly terminating = new Set<string>();

  constructor(store: ObjectStore) {
    super(store, { name: 'namespace', component: 'namespace-controller' });
  }

  protected initialKeys(): string[] {
    const names = this.store.list(typeFor(this.store, 'Namespace')).items.filter(isTerminating).map((ns) => ns.metadata.name ?? '');
    for (const name of names) this.terminating.add(name);
    return names;
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    if (o.kind === 'Namespace' && !event.resource.namespaced) {
      const name = o.metadata.name ?? '';
      if (event.type === 'DELETED') {
        this.terminating.delete(name);
      } else if (isTerminating(o)) {
        this.terminating.add(name);
        this.queue.enqueue(name);
      }
      return;
    }
    if (event.type === 'DELETED' && o.metadata.namespace && this.terminating.has(o.metadata.namespace)) this.queue.enqueue(o.metadata.namespace);
  }

  protected async reconcile(name: string): Promise<void> {
    const nsType = typeFor(this.store, 'Namespace');
    const ns = this.store.get(nsType, undefined, name);
    if (!ns || !isTerminating(ns)) return;
    if (this.contents(name).length > 0) {
      for (const { type, object } of this.contents(name)) {
        if (isTerminating(object)) continue;
        try {
          await this.store.delete(type, name, object.metadata.name ?? '', { propagationPolicy: 'Background' });
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 404)) throw error;
        }
      }
      // Objects held by finalizers are still there: their deletion events bring this namespace back.
      if (this.contents(name).length > 0) return;
    }
    const specFinalizers = ((ns['spec'] as { finalizers?: string[] } | undefined)?.finalizers) ?? [];
    if (!specFinalizers.includes(kubernetesFinalizer)) return;
    await this.store.mutate(nsType, undefined, name, (o) => {
      const spec = (o['spec'] ?? {}) as { finalizers?: string[] };
      spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== kubernetesFinalizer);
      o['spec'] = spec;
    }, { subresource: 'finalize' });
  }

  private contents(namespace: string): { type: ReturnType<typeof typeFor>; object: KubeObject }[] {
    return storedTypes(this.store)
      .filter((type) => type.namespaced)
      .flatMap((type) => this.store.list(type, { namespace }).items.map((object) => ({ type, object })));
  }
}
