/**
 * OSM's Dapr demo app ("Integrate Dapr with OSM", docs/dapr.md), applied the way the demo says: after OSM is installed,
 * into a namespace added to the mesh, so OSM's injector adds the envoy sidecar. The component waits for osm-injector's
 * MutatingWebhookConfiguration (OSM writes it at runtime) and then creates namespace `dapr-demo` (monitored, injection
 * and metrics on) with two Dapr-enabled Deployments (the app idle, and a daprd container as Dapr's injector would
 * add, idle):
 * - `nodeapp`, annotated as the demo's step 6 says (`openservicemesh.io/outbound-port-exclusion-list: "80"`), without
 *   the demo's step 5 (MeshConfig `outboundPortExclusionList` [50005, 8201]): the placement ports are intercepted;
 * - `pythonapp`, which excludes 80, 50005 and 8201 on the pod: nothing of Dapr's is intercepted.
 * Started only under the fault dapr-ports-intercepted.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { deployment, namespace } from '../flavors/workloads.ts';
import { injectorWebhookName } from '../mesh/osm/constants.ts';
import { daprdImage } from './dapr-install.ts';

export const daprDemoNamespace = 'dapr-demo';

function app(name: string, exclusions: string): KubeObject {
  const d = deployment({
    name, namespace: daprDemoNamespace, labels: { app: name }, podLabels: { app: name }, replicas: 1, image: 'registry.k8s.io/pause:3.9', containerName: name,
    podAnnotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': name, 'dapr.io/app-port': '80', 'openservicemesh.io/outbound-port-exclusion-list': exclusions },
    ports: [{ name: 'http', containerPort: 80 }],
  });
  const spec = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
  spec.containers.push({ name: 'daprd', image: daprdImage, args: ['/daprd', '--app-id', name, '--app-port', '80', '--placement-host-address', 'dapr-placement-server.dapr-system.svc.cluster.local:50005'], ports: [{ name: 'dapr-http', containerPort: 3500 }] });
  return d;
}

function hasInjectorWebhook(o: KubeObject): boolean {
  return ((o as { webhooks?: { name?: string }[] }).webhooks ?? []).some((w) => w.name === injectorWebhookName);
}

export function daprDemoComponent(): SimComponent {
  return {
    name: 'dapr-demo',
    start(ctx) {
      if (!ctx.hooks.mesh.daprDemoApp) return Promise.resolve({ stop: () => undefined });
      const webhookType = typeFor(ctx.store, 'MutatingWebhookConfiguration');
      let applied = false;
      const apply = (): void => {
        if (applied) return;
        applied = true;
        void (async () => {
          await ctx.store.create(typeFor(ctx.store, 'Namespace'), namespace(daprDemoNamespace,
            { 'openservicemesh.io/monitored-by': 'osm' }, { 'openservicemesh.io/sidecar-injection': 'enabled', 'openservicemesh.io/metrics': 'enabled' }));
          for (const d of [app('nodeapp', '80'), app('pythonapp', '80,50005,8201')]) await ctx.store.create(typeFor(ctx.store, 'Deployment'), d);
          ctx.log('dapr-demo: applied namespace dapr-demo with nodeapp and pythonapp (after osm-injector published its webhook)');
        })().catch((err: unknown) => ctx.log(`dapr-demo: ${err instanceof Error ? err.message : String(err)}`));
      };
      const off = ctx.store.onChange((e) => {
        if (e.resource.kind === webhookType.kind && e.type !== 'DELETED' && hasInjectorWebhook(e.object)) apply();
      });
      if (ctx.store.list(webhookType).items.some(hasInjectorWebhook)) apply();
      return Promise.resolve({ stop: () => off() });
    },
  };
}
