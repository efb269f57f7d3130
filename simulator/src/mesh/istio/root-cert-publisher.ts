/**
 * istiod's namespace controller (istio.md §6): the ConfigMap `istio-ca-root-cert` (key `root-cert.pem`, label
 * `istio.io/config: "true"`) in every namespace except kube-public, kube-node-lease and local-path-storage, written
 * as namespaces appear and rewritten if deleted or changed, while istiod runs. Beside it, as the real istiod does
 * (seen with `--istiod upstream`, simulator/README.md), `istio-ca-crl` (key `ca-crl.pem`, empty: the self-signed CA
 * revokes nothing), which the sidecar template mounts (optional) at /var/run/secrets/istio/crl.
 */
import type { KubeObject, StoreEvent } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { isTerminating, obj } from '../../controllers/kube-objects.ts';
import { QueueController } from '../../controllers/queue-controller.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { rootCertConfigMap, rootCertSkippedNamespaces } from './constants.ts';
import type { IstioView } from './view.ts';

export function rootCertConfigMapFor(namespace: string, rootPem: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCertConfigMap, namespace, labels: { 'istio.io/config': 'true' } }, data: { 'root-cert.pem': rootPem } };
}

/** The CRL ConfigMap istiod publishes beside the root (pilot `CRL_CONFIGMAP_NAME`, default `istio-ca-crl`). */
export const crlConfigMap = 'istio-ca-crl';

export function crlConfigMapFor(namespace: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: crlConfigMap, namespace, labels: { 'istio.io/config': 'true' } }, data: { 'ca-crl.pem': '' } };
}

export class RootCertPublisher extends QueueController {
  constructor(private readonly view: IstioView, private readonly rootPem: string) {
    super(view.store, { name: 'istio-root-cert', component: 'istiod' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'Namespace')).items.map((n) => n.metadata.name ?? '');
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    if (o.kind === 'Namespace' && event.type !== 'DELETED') this.queue.enqueue(o.metadata.name ?? '');
    else if (o.kind === 'ConfigMap' && (o.metadata.name === rootCertConfigMap || o.metadata.name === crlConfigMap)) this.queue.enqueue(o.metadata.namespace ?? '');
    else if (o.kind === 'Endpoints' && o.metadata.namespace === this.view.layout.namespace) for (const key of this.initialKeys()) this.queue.enqueue(key);
  }

  protected async reconcile(namespace: string): Promise<void> {
    if ((rootCertSkippedNamespaces as readonly string[]).includes(namespace) || !this.view.istiodReachable()) return;
    const ns = this.view.namespace(namespace);
    if (!ns || isTerminating(ns)) return;
    const type = typeFor(this.store, 'ConfigMap');
    const current = this.store.get(type, namespace, rootCertConfigMap);
    const wanted = rootCertConfigMapFor(namespace, this.rootPem);
    try {
      if (!current) await this.store.create(type, wanted);
      else if (obj(current['data'])['root-cert.pem'] !== this.rootPem) {
        await this.store.mutate(type, namespace, rootCertConfigMap, (cm) => {
          cm['data'] = { ...obj(cm['data']), 'root-cert.pem': this.rootPem };
        });
      }
      if (!this.store.get(type, namespace, crlConfigMap)) await this.store.create(type, crlConfigMapFor(namespace));
    } catch (error) {
      // The namespace went away, or another writer won the race: the next change brings us back.
      if (!(error instanceof ApiError)) throw error;
    }
  }
}
