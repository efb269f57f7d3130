/**
 * osm-controller writing IngressBackend status (osm.md §3 "Who writes the status, and when").
 * OSM writes it while generating Envoy config for a proxy whose pod backs a listed backend Service, so:
 * empty until an injected pod backing the Service on the backend port is Ready; then `committed`, or
 * `error` when a `Service` source has no endpoints. Re-evaluated on every relevant store change; nothing is written
 * while osm-controller is unreachable. A source Service in a namespace the mesh does not monitor still has endpoints:
 * OSM v1.2.4's Endpoints informer is cluster-wide and its kube endpoints provider does not check the namespace (the
 * docs' "must be monitored" is docs-only, see simulator/README.md).
 */
import type { KubeObject, StoreEvent } from '../../cluster/types.ts';
import { arr, deepEqual, keyOf, num, obj, splitKey, str } from '../../controllers/kube-objects.ts';
import { maybeTypeFor } from '../../controllers/resource-lookup.ts';
import { QueueController } from '../../controllers/queue-controller.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import { recordDelay } from '../../condition-log.ts';
import { delay } from '../../node/delay.ts';
import { committedReason } from './constants.ts';
import type { IngressBackendStatus } from './constants.ts';
import type { MeshView } from './mesh-view.ts';

export interface IngressBackendStatusValue {
  currentStatus: IngressBackendStatus;
  reason: string;
}

/**
 * The status osm-controller would write for `ib` now, or undefined when it would write nothing
 * (no Ready injected backend pod on a listed backend port). Exported for tests.
 */
export function computeIngressBackendStatus(view: MeshView, ib: KubeObject): IngressBackendStatusValue | undefined {
  const ns = ib.metadata.namespace;
  const spec = obj(ib['spec']);
  const hasConnectedProxy = arr(spec['backends']).some((backend) => {
    const service = view.service(ns, str(backend['name']) ?? '');
    const port = num(obj(backend['port'])['number']);
    return service !== undefined && port !== undefined && view.readyMeshedBackends(service, port).length > 0;
  });
  if (!hasConnectedProxy) return undefined;

  for (const source of arr(spec['sources'])) {
    if (source['kind'] !== 'Service') continue;
    const sourceNs = str(source['namespace']) ?? '';
    const sourceName = str(source['name']) ?? '';
    const missing = view.endpointIps(sourceNs, sourceName).length === 0;
    if (missing) return { currentStatus: 'error', reason: `endpoints not found for service ${sourceNs}/${sourceName}` };
  }
  return { currentStatus: 'committed', reason: committedReason };
}

export interface IngressBackendStatusControllerOptions {
  view: MeshView;
  hooks?: MeshHooks;
  /** Modelled time osm-controller takes to write a decided status (timings.ts `ingressBackendStatusMs`). */
  statusDelayMs?: number;
}

const relevantKinds = new Set(['Pod', 'Endpoints', 'Service', 'Namespace', 'IngressBackend', 'MeshConfig']);

export class IngressBackendStatusController extends QueueController {
  constructor(private readonly opts: IngressBackendStatusControllerOptions) {
    super(opts.view.store, { name: 'ingressbackend-status', component: 'osm-controller' });
  }

  protected initialKeys(): string[] {
    try {
      return this.opts.view.ingressBackends().map(keyOf);
    } catch {
      return []; // the IngressBackend CRD is not installed yet
    }
  }

  protected onChange(event: StoreEvent): void {
    if (!relevantKinds.has(event.object.kind)) return;
    // Our own status writes must not loop: a status-only change of an IngressBackend needs no re-evaluation.
    if (event.object.kind === 'IngressBackend' && event.type === 'MODIFIED' && event.oldObject
      && deepEqual(event.object['spec'], event.oldObject['spec'])) return;
    if (event.object.kind === 'IngressBackend') {
      if (event.type !== 'DELETED') this.queue.enqueue(keyOf(event.object));
      return;
    }
    this.enqueueAll();
  }

  private enqueueAll(): void {
    for (const key of this.initialKeys()) this.queue.enqueue(key);
  }

  protected async reconcile(key: string): Promise<void> {
    const { view } = this.opts;
    // osm-controller down (by a hook or without ready endpoints) or the feature flag off: nothing is written.
    if ((this.opts.hooks ?? noHooks.mesh).controllerDown || !view.componentReachable('osm-controller')) return;
    if (!view.featureFlag('enableIngressBackendPolicy', true)) return;
    const { namespace, name } = splitKey(key);
    // The CRD may be deleted while the cluster runs: then there is nothing to write a status to.
    const type = maybeTypeFor(this.store, 'IngressBackend');
    if (!type) return;
    const ib = this.store.get(type, namespace, name);
    if (!ib) return;
    let next = computeIngressBackendStatus(view, ib);
    if (!next) return;
    const current = obj(ib['status']);
    if (current['currentStatus'] === next.currentStatus && current['reason'] === next.reason) return;
    const delayMs = this.opts.statusDelayMs ?? 0;
    if (delayMs > 0) {
      recordDelay('ingressBackendStatus', ib, delayMs);
      await delay(delayMs);
      // Decide again on the world after the delay (the IngressBackend may be gone or its backends changed).
      if (!maybeTypeFor(this.store, 'IngressBackend')) return;
      const latest = this.store.get(type, namespace, name);
      next = latest ? computeIngressBackendStatus(view, latest) : undefined;
      if (!next) return;
    }
    const decided = next;
    await this.store.mutate(type, namespace, name, (o) => {
      o['status'] = { ...obj(o['status']), currentStatus: decided.currentStatus, reason: decided.reason };
    }, { subresource: 'status' });
  }
}
