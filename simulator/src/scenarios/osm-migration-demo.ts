/**
 * `osm-migration-demo` (aks flavor): an AKS cluster with the OSM add-on in non-permissive mode running a small
 * bookstore after OSM's Bookstore sample (the reference of the AKS OSM-to-Istio migration guidance), with httpbin as
 * every app so each answers any path:
 * - namespaces bookbuyer, bookthief, bookstore, bookwarehouse, onboarded (`osm namespace add`);
 * - bookstore: Deployments bookstore-v1 and bookstore-v2 (ServiceAccount bookstore), Services bookstore (both
 *   versions), bookstore-v1 and bookstore-v2, a TrafficSplit bookstore → v1 75 / v2 25, an HTTPRouteGroup with
 *   `books-bought` (GET /anything/books-bought with header client-app: bookbuyer), `buy-a-book` (GET
 *   /anything/buy-a-book/.*) and `all-books` (GET `/anything/books.*`, named by no TrafficTarget), a TrafficTarget letting
 *   bookbuyer reach books-bought and buy-a-book, an IngressBackend admitting the Application Gateway (IPRange
 *   10.0.0.0/8) and an AGIC Ingress for host bookstore.demo.test;
 * - bookwarehouse: one httpbin (ServiceAccount bookwarehouse), an HTTPRouteGroup `restock-books` (POST .*) that
 *   bookstore may use, and an Egress policy letting it reach api.example.com:443 (no equivalent in the AKS mapping);
 * - bookbuyer and bookthief: one httpbin each with a Service; no TrafficTarget names bookthief.
 * The cluster runs Kubernetes v1.33.3 (the Istio add-on's asm-1-30 needs 1.32 to 1.36), has AKS's managed Gateway API
 * (`az aks update --enable-gateway-api`: the v1.2.1 bundle for 1.33) and the AKS management endpoint
 * (azure/aks-management.ts) that switches the add-ons as `az aks` does.
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { obj } from '../controllers/kube-objects.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { aksManagementComponent } from '../azure/aks-management.ts';
import { aksClusterResourceId } from '../flavors/aks.ts';
import { createIfMissing } from '../flavors/bootstrap.ts';
import { gatewayApiCrds } from '../flavors/gateway-api-crds.ts';
import { deployment, namespace, service, serviceAccount } from '../flavors/workloads.ts';
import { aksAddonLayout as istioAksLayout } from '../mesh/istio/constants.ts';
import { aksAddonLayout as osmAksLayout, metricsAnnotation, monitoredByLabel, sidecarInjectionAnnotation } from '../mesh/osm/constants.ts';
import type { Scenario } from './scenario.ts';

const kubernetesVersion = 'v1.33.3';
const osmLayout = osmAksLayout();
const appPort = 14001;
const httpbinImage = 'kennethreitz/httpbin';

/** The OSM sample's httpbin container, as a Deployment of one app. */
function app(name: string, ns: string, labels: Record<string, string>, sa: string): KubeObject {
  return deployment({
    name, namespace: ns, labels: { app: labels['app'] ?? name }, podLabels: labels, replicas: 1, image: httpbinImage, containerName: labels['app'] ?? name,
    serviceAccountName: sa, ports: [{ name: 'web', containerPort: appPort }], args: ['gunicorn', '-b', `0.0.0.0:${appPort}`, 'httpbin:app', '-k', 'gevent'],
  });
}

function svc(name: string, ns: string, selector: Record<string, string>): KubeObject {
  return service({ name, namespace: ns, labels: { app: selector['app'] ?? name }, selector, ports: [{ name: `${name}-port`, port: appPort }] });
}

function smi(apiVersion: string, kind: string, ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: ns }, spec };
}

/** The demo's objects, in apply order. */
export function demoObjects(): KubeObject[] {
  const onboarded = (name: string, metrics = false): KubeObject => namespace(name, { [monitoredByLabel]: osmLayout.meshName }, { [sidecarInjectionAnnotation]: 'enabled', ...(metrics ? { [metricsAnnotation]: 'enabled' } : {}) });
  return [
    onboarded('bookbuyer'), onboarded('bookthief'), onboarded('bookstore', true), onboarded('bookwarehouse'),
    serviceAccount('bookbuyer', 'bookbuyer'), serviceAccount('bookthief', 'bookthief'), serviceAccount('bookstore', 'bookstore'), serviceAccount('bookwarehouse', 'bookwarehouse'),
    svc('bookbuyer', 'bookbuyer', { app: 'bookbuyer' }),
    svc('bookthief', 'bookthief', { app: 'bookthief' }),
    svc('bookstore', 'bookstore', { app: 'bookstore' }),
    svc('bookstore-v1', 'bookstore', { app: 'bookstore', version: 'v1' }),
    svc('bookstore-v2', 'bookstore', { app: 'bookstore', version: 'v2' }),
    svc('bookwarehouse', 'bookwarehouse', { app: 'bookwarehouse' }),
    app('bookbuyer', 'bookbuyer', { app: 'bookbuyer', version: 'v1' }, 'bookbuyer'),
    app('bookthief', 'bookthief', { app: 'bookthief', version: 'v1' }, 'bookthief'),
    app('bookstore-v1', 'bookstore', { app: 'bookstore', version: 'v1' }, 'bookstore'),
    app('bookstore-v2', 'bookstore', { app: 'bookstore', version: 'v2' }, 'bookstore'),
    app('bookwarehouse', 'bookwarehouse', { app: 'bookwarehouse', version: 'v1' }, 'bookwarehouse'),
    smi('specs.smi-spec.io/v1alpha4', 'HTTPRouteGroup', 'bookstore', 'bookstore-service-routes', {
      matches: [
        { name: 'books-bought', pathRegex: '/anything/books-bought', methods: ['GET'], headers: [{ 'client-app': 'bookbuyer' }] },
        { name: 'buy-a-book', pathRegex: '/anything/buy-a-book/.*', methods: ['GET'] },
        { name: 'all-books', pathRegex: '/anything/books.*', methods: ['GET'] },
      ],
    }),
    smi('access.smi-spec.io/v1alpha3', 'TrafficTarget', 'bookstore', 'bookstore', {
      destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' },
      rules: [{ kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['buy-a-book', 'books-bought'] }],
      sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
    }),
    smi('split.smi-spec.io/v1alpha2', 'TrafficSplit', 'bookstore', 'bookstore-split', {
      service: 'bookstore.bookstore',
      backends: [{ service: 'bookstore-v1', weight: 75 }, { service: 'bookstore-v2', weight: 25 }],
    }),
    smi('specs.smi-spec.io/v1alpha4', 'HTTPRouteGroup', 'bookwarehouse', 'bookwarehouse-service-routes', {
      matches: [{ name: 'restock-books', methods: ['POST'], pathRegex: '.*' }],
    }),
    smi('access.smi-spec.io/v1alpha3', 'TrafficTarget', 'bookwarehouse', 'bookwarehouse', {
      destination: { kind: 'ServiceAccount', name: 'bookwarehouse', namespace: 'bookwarehouse' },
      rules: [{ kind: 'HTTPRouteGroup', name: 'bookwarehouse-service-routes', matches: ['restock-books'] }],
      sources: [{ kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' }],
    }),
    smi('policy.openservicemesh.io/v1alpha1', 'Egress', 'bookwarehouse', 'example-api', {
      sources: [{ kind: 'ServiceAccount', name: 'bookwarehouse', namespace: 'bookwarehouse' }],
      hosts: ['api.example.com'],
      ports: [{ number: 443, protocol: 'https' }],
    }),
    smi('policy.openservicemesh.io/v1alpha1', 'IngressBackend', 'bookstore', 'bookstore', {
      backends: [{ name: 'bookstore', port: { number: appPort, protocol: 'http' } }],
      sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }],
    }),
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { name: 'bookstore', namespace: 'bookstore', annotations: { 'kubernetes.io/ingress.class': 'azure/application-gateway' } },
      spec: { rules: [{ host: 'bookstore.demo.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'bookstore', port: { number: appPort } } } }] } }] },
    },
  ];
}

/** Resolves once `check` holds, re-checked on every store change; rejects after `timeoutMs` saying what was awaited. */
function until(store: ObjectStore, what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = store.onChange(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

export const osmMigrationDemo: Scenario = {
  name: 'osm-migration-demo',
  description: 'AKS with the OSM add-on (non-permissive) running a bookstore with SMI policies, a TrafficSplit and an IngressBackend; az aks operations through `mesh-conformance sim-az`',
  flavors: ['aks'],
  kubernetesVersion,
  clusterObjects: () => gatewayApiCrds({ bundleVersion: 'v1.2.1', managedByAks: true }),
  components: [aksManagementComponent({
    resourceId: aksClusterResourceId,
    kubernetesVersion,
    osm: osmLayout,
    revisions: [
      { revision: 'asm-1-29', kubernetes: [31, 36] },
      { revision: 'asm-1-30', kubernetes: [32, 36], layout: istioAksLayout() },
    ],
  })],
  async install(store) {
    // `traffic.enablePermissiveTrafficPolicyMode: false`: SMI access control in force.
    await store.mutate(typeFor(store, 'MeshConfig'), osmLayout.osmNamespace, 'osm-mesh-config', (mc) => {
      const spec = obj(mc['spec']);
      spec['traffic'] = { ...obj(spec['traffic']), enablePermissiveTrafficPolicyMode: false };
      mc['spec'] = spec;
    });
    // The injector publishes its webhook once it serves; pods created before would run without a sidecar.
    const mwc = typeFor(store, 'MutatingWebhookConfiguration');
    await until(store, `MutatingWebhookConfiguration ${osmLayout.injectorWebhookConfigName}`, () => store.get(mwc, undefined, osmLayout.injectorWebhookConfigName) !== undefined, 60_000);
    for (const o of demoObjects()) await createIfMissing(store, o);
  },
  awaited: () => [
    { namespace: 'bookbuyer', name: 'bookbuyer' },
    { namespace: 'bookthief', name: 'bookthief' },
    { namespace: 'bookstore', name: 'bookstore-v1' },
    { namespace: 'bookstore', name: 'bookstore-v2' },
    { namespace: 'bookwarehouse', name: 'bookwarehouse' },
  ],
};
