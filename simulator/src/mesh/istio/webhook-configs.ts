/**
 * The injector's MutatingWebhookConfiguration of a revisioned install (istio.md §1.1): `istio-sidecar-injector-<rev>`
 * (`-<ns>` outside istio-system) with the two revision entries and their exact selectors, and no `namespace.` or
 * `object.` entries because there is no default revision or tag. The simulated istiod writes it once its Service has
 * a ready endpoint (as the OSM emulation's injector does; upstream Helm creates it and istiod patches its caBundle),
 * and again if it is deleted while istiod runs. Also the admission check kube-apiserver applies: which entry selects
 * a pod's CREATE.
 */
import type { KubeObject, StoreEvent } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { arr, obj } from '../../controllers/kube-objects.ts';
import { matchesLabelSelector } from '../../controllers/label-selector.ts';
import type { LabelSelector } from '../../controllers/label-selector.ts';
import { QueueController } from '../../controllers/queue-controller.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { injectionLabel, injectLabel, injectorWebhookConfigName, istiodName, istiodPorts, istioVersion, revLabel, revNamespaceWebhook, revObjectWebhook } from './constants.ts';
import type { IstioLayout } from './constants.ts';
import type { IstioView } from './view.ts';

/** The MWC the chart renders for `revision` (a revisioned install, no default tag). */
export function injectorWebhookConfig(layout: IstioLayout, revision: string, caBundle: string): KubeObject {
  const entry = (name: string, namespaceSelector: LabelSelector, objectSelector: LabelSelector): Record<string, unknown> => ({
    name,
    clientConfig: { service: { name: istiodName(layout), namespace: layout.namespace, path: '/inject', port: istiodPorts.webhook }, caBundle },
    sideEffects: 'None',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    reinvocationPolicy: 'Never',
    timeoutSeconds: 10,
    admissionReviewVersions: ['v1'],
    namespaceSelector,
    objectSelector,
  });
  const notOptedOut = { key: injectLabel, operator: 'NotIn' as const, values: ['false'] };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: injectorWebhookConfigName(layout, revision),
      labels: {
        [revLabel]: revision, app: 'sidecar-injector', 'app.kubernetes.io/name': 'istiod', 'operator.istio.io/component': 'Pilot',
        'install.operator.istio.io/owning-resource': 'unknown', release: 'istiod', 'app.kubernetes.io/part-of': 'istio',
        'app.kubernetes.io/version': istioVersion, 'helm.sh/chart': `istiod-${istioVersion}`,
      },
    },
    webhooks: [
      entry(revNamespaceWebhook,
        { matchExpressions: [{ key: revLabel, operator: 'In', values: [revision] }, { key: injectionLabel, operator: 'DoesNotExist' }] },
        { matchExpressions: [notOptedOut] }),
      entry(revObjectWebhook,
        { matchExpressions: [{ key: revLabel, operator: 'DoesNotExist' }, { key: injectionLabel, operator: 'DoesNotExist' }] },
        { matchExpressions: [notOptedOut, { key: revLabel, operator: 'In', values: [revision] }] }),
    ],
  };
}

/**
 * The entry of a stored injector MWC that kube-apiserver would call for this pod CREATE (first match), or undefined.
 * Only configurations pointing at this install's istiod count (another mesh's webhooks are not ours to answer).
 */
export function matchingInjectorEntry(view: IstioView, pod: KubeObject, namespace: KubeObject | undefined): { config: KubeObject; entry: Record<string, unknown> } | undefined {
  const configs = view.store.list(typeFor(view.store, 'MutatingWebhookConfiguration')).items;
  for (const config of configs) {
    for (const entry of arr(config['webhooks'])) {
      const service = obj(obj(entry['clientConfig'])['service']);
      if (service['name'] !== istiodName(view.layout) || service['namespace'] !== view.layout.namespace) continue;
      const rules = arr(entry['rules']);
      const coversPods = rules.some((r) => arr(r['operations']).some((op) => (op as unknown) === 'CREATE' || (op as unknown) === '*')
        && arr(r['resources']).some((res) => (res as unknown) === 'pods' || (res as unknown) === '*'));
      if (!coversPods) continue;
      if (!matchesLabelSelector(entry['namespaceSelector'] as LabelSelector | undefined, namespace?.metadata.labels)) continue;
      if (!matchesLabelSelector(entry['objectSelector'] as LabelSelector | undefined, pod.metadata.labels)) continue;
      return { config, entry };
    }
  }
  return undefined;
}

/** Writes the injector MWC for the revision istiod serves while istiod has a ready endpoint. */
export class InjectorWebhookController extends QueueController {
  constructor(private readonly view: IstioView, private readonly revision: string, private readonly caBundle: string) {
    super(view.store, { name: 'istio-webhooks', component: 'istiod' });
  }

  protected initialKeys(): string[] {
    return ['all'];
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    if ((o.kind === 'Endpoints' && o.metadata.namespace === this.view.layout.namespace) || (event.type === 'DELETED' && o.kind === 'MutatingWebhookConfiguration')) {
      this.queue.enqueue('all');
    }
  }

  protected async reconcile(): Promise<void> {
    if (!this.view.istiodReachable()) return;
    const config = injectorWebhookConfig(this.view.layout, this.revision, this.caBundle);
    const type = typeFor(this.store, 'MutatingWebhookConfiguration');
    if (this.store.get(type, undefined, config.metadata.name ?? '')) return;
    try {
      await this.store.create(type, config);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
    }
  }
}
