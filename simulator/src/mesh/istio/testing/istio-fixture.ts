/**
 * A store with what the Istio controllers need (nodes, the CRDs, istiod's objects for a layout with a Ready istiod
 * pod behind its Service) and the endpoints controller, without the node part: enough to test injection, the
 * webhook configuration, the root certificates and the Gateway API controller against the store.
 */
import type { KubeObject, ObjectStore } from '../../../cluster/types.ts';
import { EndpointsController } from '../../../controllers/endpoints-controller.ts';
import { typeFor } from '../../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, storeWithNamespaces, waitForStore } from '../../../controllers/testing/cluster-fixture.ts';
import type { FaultName } from '../../../faults/index.ts';
import { hooksFor } from '../../../faults/index.ts';
import { createIfMissing } from '../../../flavors/bootstrap.ts';
import { gatewayApiCrds } from '../../../flavors/gateway-api-crds.ts';
import { flavorNamed } from '../../../flavors/index.ts';
import { istioCrds } from '../../../flavors/istio-crds.ts';
import { istiodObjects } from '../../../flavors/istio-install.ts';
import { node } from '../../../flavors/nodes.ts';
import type { SimHooks } from '../../../hooks.ts';
import { IstioCa } from '../ca.ts';
import { injectorWebhookConfigName, istiodName, upstreamHelmLayout } from '../constants.ts';
import type { IstioLayout } from '../constants.ts';
import { GatewayController } from '../gateway-controller.ts';
import { createIstioInjector } from '../injector.ts';
import { RootCertPublisher } from '../root-cert-publisher.ts';
import { IstioView } from '../view.ts';
import { InjectorWebhookController } from '../webhook-configs.ts';

export interface IstioFixture {
  store: ObjectStore;
  view: IstioView;
  hooks: SimHooks;
  ca: IstioCa;
  revision: string;
  /** Scales istiod's endpoints away (its pod stops being Ready). */
  stopIstiod(): Promise<void>;
  stop(): void;
}

let nextIp = 10;
export function fixtureIp(): string {
  nextIp++;
  return `127.0.${Math.floor(nextIp / 250) + 80}.${(nextIp % 250) + 1}`;
}

export async function startIstioFixture(opts: { layout?: IstioLayout; faults?: FaultName[]; kubeletVersion?: string } = {}): Promise<IstioFixture> {
  const layout = opts.layout ?? upstreamHelmLayout();
  const hooks = hooksFor(opts.faults ?? [], { flavor: flavorNamed('istio-kind') });
  const store = await storeWithNamespaces(layout.namespace, 'kube-system', 'kube-public');
  const nodeParams = { arch: 'amd64' as const, labels: {}, providerID: 'kind://x', osImage: 'x', containerRuntimeVersion: 'x', kernelVersion: 'x', capacity: { cpu: '2', memory: '1Ki', pods: '110', 'ephemeral-storage': '1Ki' } };
  await store.create(typeFor(store, 'Node'), node({ ...nodeParams, name: 'worker', kubeletVersion: opts.kubeletVersion ?? 'v1.35.0' }));
  for (const crd of [...gatewayApiCrds({ bundleVersion: 'v1.5.1' }), ...istioCrds()]) await createIfMissing(store, crd);
  for (const o of istiodObjects(layout, hooks.mesh)) await createIfMissing(store, o);
  const endpoints = new EndpointsController(store).start();
  const view = new IstioView(store, layout);
  const revision = hooks.mesh.istiodServedRevision ?? layout.revision;
  const ca = await IstioCa.create();
  const injector = createIstioInjector({ view, hooks: hooks.mesh, revision });
  store.addAdmissionPlugin(injector);
  const controllers = [
    new InjectorWebhookController(view, revision, Buffer.from(ca.rootPem).toString('base64')).start(),
    new RootCertPublisher(view, ca.rootPem).start(),
    new GatewayController(view, revision, hooks.mesh).start(),
  ];
  const istiodPod = await store.create(typeFor(store, 'Pod'), podManifest(`${istiodName(layout)}-0`, layout.namespace, { app: 'istiod', 'istio.io/rev': layout.revision, 'sidecar.istio.io/inject': 'false' }));
  await markPodRunning(store, istiodPod, fixtureIp());
  await waitForStore(store, 'the injector webhook configuration', () => store.get(typeFor(store, 'MutatingWebhookConfiguration'), undefined, injectorWebhookConfigName(layout, revision)));
  return {
    store, view, hooks, ca, revision,
    async stopIstiod() {
      await store.delete(typeFor(store, 'Pod'), layout.namespace, istiodPod.metadata.name ?? '');
      await waitForStore(store, 'istiod unreachable', () => (view.istiodReachable() ? undefined : true));
    },
    stop() {
      injector.stop();
      for (const c of controllers) c.stop();
      endpoints.stop();
    },
  };
}

/** A namespace with labels. */
export function namespaceWith(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** The pod the httpbin sample's ReplicaSet creates. */
export function samplePod(namespace: string, extraLabels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: 'httpbin-6d87dbc9cc-', namespace,
      labels: { app: 'httpbin', version: 'v1', 'pod-template-hash': '6d87dbc9cc', ...extraLabels },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'httpbin-6d87dbc9cc', uid: 'rs-uid', controller: true }],
    },
    spec: { serviceAccountName: 'httpbin', containers: [{ name: 'httpbin', image: 'docker.io/mccutchen/go-httpbin:v2.15.0', ports: [{ containerPort: 8080 }] }], ...spec },
  };
}
