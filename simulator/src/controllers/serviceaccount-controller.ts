/**
 * kube-controller-manager's serviceaccount controller (every namespace gets a `default` ServiceAccount,
 * recreated if deleted) plus the root-ca-cert publisher (`kube-root-ca.crt` ConfigMap), which kubectl users
 * and pod specs without serviceAccountName rely on.
 */
import type { ObjectStore, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { isTerminating } from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { QueueController } from './queue-controller.ts';

export interface ServiceAccountControllerOptions {
  /** PEM of the cluster CA; when set, each namespace gets the `kube-root-ca.crt` ConfigMap. */
  caPem?: string;
}

export class ServiceAccountController extends QueueController {
  constructor(store: ObjectStore, private readonly opts: ServiceAccountControllerOptions = {}) {
    super(store, { name: 'serviceaccount', component: 'serviceaccount-controller' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'Namespace')).items.map((ns) => ns.metadata.name ?? '');
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    if (o.kind === 'Namespace' && event.type === 'ADDED') this.queue.enqueue(o.metadata.name ?? '');
    if (event.type === 'DELETED' && o.kind === 'ServiceAccount' && o.metadata.name === 'default') this.queue.enqueue(o.metadata.namespace ?? '');
    if (event.type === 'DELETED' && o.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt') this.queue.enqueue(o.metadata.namespace ?? '');
  }

  protected async reconcile(namespace: string): Promise<void> {
    const ns = this.store.get(typeFor(this.store, 'Namespace'), undefined, namespace);
    if (!ns || isTerminating(ns)) return;
    const saType = typeFor(this.store, 'ServiceAccount');
    if (!this.store.get(saType, namespace, 'default')) {
      await this.createIgnoringConflict(saType, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    }
    if (this.opts.caPem) {
      const cmType = typeFor(this.store, 'ConfigMap');
      if (!this.store.get(cmType, namespace, 'kube-root-ca.crt')) {
        await this.createIgnoringConflict(cmType, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'kube-root-ca.crt', namespace, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
          data: { 'ca.crt': this.opts.caPem },
        });
      }
    }
  }

  private async createIgnoringConflict(type: ReturnType<typeof typeFor>, object: Parameters<ObjectStore['create']>[1]): Promise<void> {
    try {
      await this.store.create(type, object);
    } catch (error) {
      // 409: created meanwhile. 403/404: the namespace is being deleted; nothing to do.
      if (error instanceof ApiError && [403, 404, 409].includes(error.code)) return;
      throw error;
    }
  }
}
