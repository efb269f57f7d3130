/**
 * OSM creates its webhook configurations at runtime, not from Helm templates (osm.md §2 "Webhook"):
 * osm-injector writes the MutatingWebhookConfiguration and osm-controller the ValidatingWebhookConfiguration
 * once they serve. This controller does the same: each configuration appears when the component's Service
 * first has a ready endpoint, and is recreated if deleted while the component runs.
 */
import type { KubeObject, StoreEvent } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { QueueController } from '../../controllers/queue-controller.ts';
import { controlPlanePorts, ignoreLabel, injectorWebhookName, monitoredByLabel, validatorWebhookName } from './constants.ts';
import type { OsmLayout } from './constants.ts';
import type { MeshView } from './mesh-view.ts';

/** The namespaceSelector both OSM webhooks use (osm.md §2). */
export function osmNamespaceSelector(layout: OsmLayout): Record<string, unknown> {
  return {
    matchLabels: { [monitoredByLabel]: layout.meshName },
    matchExpressions: [
      { key: ignoreLabel, operator: 'DoesNotExist' },
      { key: 'name', operator: 'NotIn', values: [layout.osmNamespace] },
      { key: 'control-plane', operator: 'DoesNotExist' },
    ],
  };
}

function commonLabels(layout: OsmLayout, app: string): Record<string, string> {
  return { app, 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': layout.meshName, 'app.kubernetes.io/version': layout.osmVersion };
}

/** The MutatingWebhookConfiguration osm-injector creates. */
export function injectorWebhookConfig(layout: OsmLayout, caBundle: string): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: layout.injectorWebhookConfigName, labels: commonLabels(layout, 'osm-injector') },
    webhooks: [{
      name: injectorWebhookName,
      clientConfig: { service: { name: 'osm-injector', namespace: layout.osmNamespace, path: '/mutate-pod-creation', port: controlPlanePorts.injector }, caBundle },
      failurePolicy: 'Fail',
      matchPolicy: 'Exact',
      namespaceSelector: osmNamespaceSelector(layout),
      objectSelector: {},
      reinvocationPolicy: 'Never',
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 20,
    }],
  };
}

/** The ValidatingWebhookConfiguration osm-controller creates. */
export function validatorWebhookConfig(layout: OsmLayout, caBundle: string): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: layout.validatorWebhookConfigName, labels: { ...commonLabels(layout, 'osm-controller'), meshName: layout.meshName } },
    webhooks: [{
      name: validatorWebhookName,
      clientConfig: { service: { name: 'osm-validator', namespace: layout.osmNamespace, path: '/validate', port: controlPlanePorts.validator }, caBundle },
      failurePolicy: 'Fail',
      matchPolicy: 'Exact',
      namespaceSelector: osmNamespaceSelector(layout),
      objectSelector: {},
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['policy.openservicemesh.io'], apiVersions: ['v1alpha1'], resources: ['egresses', 'ingressbackends'], scope: '*' }],
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 30,
    }],
  };
}

export class WebhookConfigController extends QueueController {
  constructor(private readonly view: MeshView, private readonly caBundle: string) {
    super(view.store, { name: 'osm-webhooks', component: 'osm-webhooks' });
  }

  /** One key: the webhook configurations are reconciled together. */
  protected initialKeys(): string[] {
    return ['all'];
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    if ((o.kind === 'Endpoints' && o.metadata.namespace === this.view.layout.osmNamespace)
      || (event.type === 'DELETED' && (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration'))) {
      this.queue.enqueue('all');
    }
  }

  protected async reconcile(): Promise<void> {
    const layout = this.view.layout;
    if (this.view.componentReachable('osm-injector')) {
      await this.ensure('MutatingWebhookConfiguration', injectorWebhookConfig(layout, this.caBundle));
    }
    if (this.view.componentReachable('osm-validator')) {
      await this.ensure('ValidatingWebhookConfiguration', validatorWebhookConfig(layout, this.caBundle));
    }
  }

  private async ensure(kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration', config: KubeObject): Promise<void> {
    const type = typeFor(this.store, kind);
    if (this.store.get(type, undefined, config.metadata.name ?? '')) return;
    try {
      await this.store.create(type, config);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
    }
  }
}
