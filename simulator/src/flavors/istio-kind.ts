/**
 * The istio-kind flavor: what `kind-up --mesh istio` installs (istio.md §8): a kind cluster on kindest/node v1.35.0
 * (a control-plane node and a worker), MetalLB as the LoadBalancer provider, the Gateway API CRDs (standard channel,
 * bundle v1.5.1, what Istio 1.30 builds against), upstream Istio 1.30.3 installed with Helm into istio-system with
 * revision asm-1-30 (so no default revision or tag: `istio-injection=enabled` is ignored, as on AKS; no CNI, so pods
 * get istio-init), and the Prometheus addon. Its components: istiod (mesh/istio/), the MetalLB-like load balancer
 * (ingress/load-balancer.ts) and the addon's Prometheus (mesh/istio/prometheus-addon.ts).
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { loadBalancerComponent } from '../ingress/load-balancer.ts';
import { upstreamHelmLayout } from '../mesh/istio/constants.ts';
import { istioControlPlaneComponent } from '../mesh/istio/control-plane.ts';
import { prometheusAddonComponent, prometheusAddonObjects } from '../mesh/istio/prometheus-addon.ts';
import { kubernetesService, systemNamespaces } from './base-cluster.ts';
import type { Flavor } from './flavor.ts';
import { gatewayApiCrds } from './gateway-api-crds.ts';
import { istioCrds } from './istio-crds.ts';
import { istiodDeployment, istiodObjects } from './istio-install.ts';
import { kindClusterName, kindNode } from './kind.ts';
import { namespace, serviceAccount } from './workloads.ts';

export const istioKubernetesVersion = 'v1.35.0';
export const metallbImages = { controller: 'quay.io/metallb/controller:v0.14.9', speaker: 'quay.io/metallb/speaker:v0.14.9' };

/** MetalLB v0.14.9 as samples/kind-lb/setupkind.sh installs it (its CRDs and address pool are not modelled; the provider component assigns addresses). */
function metallbObjects(): KubeObject[] {
  const ns = 'metallb-system';
  const labels = { app: 'metallb' };
  return [
    namespace(ns, { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' }),
    serviceAccount('controller', ns, labels),
    serviceAccount('speaker', ns, labels),
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'controller', namespace: ns, labels: { ...labels, component: 'controller' } },
      spec: {
        revisionHistoryLimit: 3,
        selector: { matchLabels: { app: 'metallb', component: 'controller' } },
        template: {
          metadata: { labels: { app: 'metallb', component: 'controller' }, annotations: { 'prometheus.io/port': '7472', 'prometheus.io/scrape': 'true' } },
          spec: {
            serviceAccountName: 'controller', nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [{ name: 'controller', image: metallbImages.controller, args: ['--port=7472', '--log-level=info'], ports: [{ containerPort: 7472, name: 'monitoring' }, { containerPort: 9443, name: 'webhook-server' }] }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'speaker', namespace: ns, labels: { ...labels, component: 'speaker' } },
      spec: {
        selector: { matchLabels: { app: 'metallb', component: 'speaker' } },
        template: {
          metadata: { labels: { app: 'metallb', component: 'speaker' } },
          spec: {
            serviceAccountName: 'speaker', hostNetwork: true, nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' }, { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'speaker', image: metallbImages.speaker, args: ['--port=7472', '--log-level=info'] }],
          },
        },
      },
    },
  ];
}

const layout = upstreamHelmLayout();

export const istioKindFlavor: Flavor<'istio-kind'> = {
  name: 'istio-kind',
  mesh: 'istio',
  shape: 'kind',
  kubernetesVersion: istioKubernetesVersion,
  nodes(hooks: SimHooks) {
    const arch = hooks.cluster.nodeArch;
    return [
      kindNode(`${kindClusterName}-control-plane`, arch, { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }, true, istioKubernetesVersion),
      kindNode(`${kindClusterName}-worker`, arch, {}, false, istioKubernetesVersion),
    ];
  },
  objects(hooks: SimHooks) {
    return [
      ...systemNamespaces(),
      kubernetesService(),
      namespace(layout.namespace),
      ...metallbObjects(),
      ...gatewayApiCrds({ bundleVersion: 'v1.5.1' }),
      ...istioCrds(),
      ...istiodObjects(layout, hooks.mesh),
      ...prometheusAddonObjects(layout.namespace),
    ];
  },
  services: { prometheus: { namespace: layout.namespace, name: 'prometheus' } },
  awaited() {
    return [istiodDeployment(layout), { namespace: layout.namespace, name: 'prometheus' }, { namespace: 'metallb-system', name: 'controller' }];
  },
  components: [
    istioControlPlaneComponent(layout),
    loadBalancerComponent({ name: 'metallb', idleImages: [metallbImages.controller, metallbImages.speaker] }),
    prometheusAddonComponent(),
  ],
  realMeshControlPlane: true,
};
