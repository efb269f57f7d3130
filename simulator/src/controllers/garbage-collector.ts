/**
 * kube-controller-manager's garbage collector, event-driven like the other controllers: it keeps the owner graph
 * (every object's uid and ownerReferences) from the store's change events and acts on two kinds of key, an owner uid:
 * - the owner was deleted: each dependent whose other owners are gone too is deleted (background cascade, so its
 *   own dependents follow); a dependent that still has a live owner only loses the reference;
 * - the owner carries the `orphan` finalizer (deleted with `propagationPolicy: Orphan`): its dependents lose their
 *   reference to it, then the finalizer is removed, which lets the store remove the owner.
 * Foreground deletion is not modelled (it deletes like Background).
 */
import { orphanFinalizer } from '../cluster/store.ts';
import { ApiError } from '../cluster/types.ts';
import type { KubeObject, ObjectStore, ResourceType, StoreEvent } from '../cluster/types.ts';
import { isTerminating } from './kube-objects.ts';
import { QueueController } from './queue-controller.ts';
import { storedTypes } from './resource-lookup.ts';

/** A live object as the graph knows it. */
interface GraphNode {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  owners: string[];
  orphaning: boolean;
}

export class GarbageCollector extends QueueController {
  /** Live objects by uid. */
  private readonly nodes = new Map<string, GraphNode>();
  /** Owner uid -> uids of the objects that reference it (the owner may be gone already). */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(store: ObjectStore) {
    super(store, { name: 'garbage-collector', component: 'garbage-collector-controller' });
  }

  /** Builds the graph from what exists; the keys are the owners waiting to be orphaned. */
  protected initialKeys(): string[] {
    for (const type of storedTypes(this.store)) {
      for (const o of this.store.list(type).items) this.observe(type, o);
    }
    return [...this.nodes].filter(([, node]) => node.orphaning).map(([uid]) => uid);
  }

  protected onChange(event: StoreEvent): void {
    const uid = event.object.metadata.uid;
    if (!uid) return;
    if (event.type === 'DELETED') {
      this.forget(uid, event.object);
      if (this.dependents.has(uid)) this.queue.enqueue(uid);
      return;
    }
    const node = this.observe(event.resource, event.object);
    if (node.orphaning) this.queue.enqueue(uid);
  }

  protected async reconcile(uid: string): Promise<void> {
    const owner = this.nodes.get(uid);
    if (owner && !owner.orphaning) return;
    for (const dependentUid of [...(this.dependents.get(uid) ?? [])]) {
      const dependent = this.nodes.get(dependentUid);
      if (!dependent) continue;
      const otherLiveOwner = dependent.owners.some((o) => o !== uid && this.nodes.has(o));
      if (owner || otherLiveOwner) await this.dropReference(dependent, uid);
      else await this.ignoringNotFound(this.store.delete(dependent.type, dependent.namespace, dependent.name, { propagationPolicy: 'Background' }));
    }
    if (owner) {
      await this.ignoringNotFound(this.store.mutate(owner.type, owner.namespace, owner.name, (o) => {
        o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== orphanFinalizer);
      }));
    }
  }

  /** Records a live object and its owner references; returns its node. */
  private observe(type: ResourceType, o: KubeObject): GraphNode {
    const uid = o.metadata.uid!;
    const previous = this.nodes.get(uid);
    const owners = [...new Set((o.metadata.ownerReferences ?? []).map((ref) => ref.uid))];
    for (const owner of previous?.owners ?? []) if (!owners.includes(owner)) this.unlink(owner, uid);
    for (const owner of owners) {
      let set = this.dependents.get(owner);
      if (!set) this.dependents.set(owner, (set = new Set()));
      set.add(uid);
    }
    const node: GraphNode = {
      type, namespace: o.metadata.namespace, name: o.metadata.name ?? '', owners,
      orphaning: isTerminating(o) && (o.metadata.finalizers ?? []).includes(orphanFinalizer),
    };
    this.nodes.set(uid, node);
    return node;
  }

  /** Drops a deleted object from the graph (its list of dependents stays until its key is reconciled). */
  private forget(uid: string, o: KubeObject): void {
    this.nodes.delete(uid);
    for (const ref of o.metadata.ownerReferences ?? []) this.unlink(ref.uid, uid);
  }

  private unlink(owner: string, dependent: string): void {
    const set = this.dependents.get(owner);
    set?.delete(dependent);
    if (set?.size === 0) this.dependents.delete(owner);
  }

  private async dropReference(dependent: GraphNode, ownerUid: string): Promise<void> {
    await this.ignoringNotFound(this.store.mutate(dependent.type, dependent.namespace, dependent.name, (o) => {
      o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid);
    }));
  }

  private async ignoringNotFound(write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
}
