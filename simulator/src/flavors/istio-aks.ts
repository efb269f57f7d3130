/**
 * The istio-aks flavor: an AKS cluster (Kubernetes v1.35, the OSM aks flavor's node pool) with the Istio add-on at
 * revision asm-1-30 (istio.md §1.3, §2.3, §3b, §7): istiod `istiod-asm-1-30` (2 replicas) in aks-istio-system, no
 * default revision or tag, the CNI node agent, native sidecars forced on; the external ingress gateway of
 * `az aks mesh enable-ingress-gateway --ingress-gateway-type external` in aks-istio-ingress; the managed Gateway API
 * CRDs (`az aks update --enable-gateway-api`, the bundle of Kubernetes 1.35: v1.4.1). Its components: istiod, the
 * Azure load balancer (ingress/load-balancer.ts) and Azure Monitor managed Prometheus (azure/managed-prometheus.ts).
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { managedPrometheusComponent } from '../azure/managed-prometheus.ts';
import { loadBalancerComponent } from '../ingress/load-balancer.ts';
import { aksAddonLayout, aksIngressGateway, proxyImage, proxyPorts, revLabel } from '../mesh/istio/constants.ts';
import type { IstioLayout } from '../mesh/istio/constants.ts';
import { istioControlPlaneComponent } from '../mesh/istio/control-plane.ts';
import { aksClusterName, aksNode } from './aks.ts';
import { kubernetesService, systemNamespaces } from './base-cluster.ts';
import type { Flavor } from './flavor.ts';
import { gatewayApiCrds } from './gateway-api-crds.ts';
import { istioCrds } from './istio-crds.ts';
import { aksCniObjects, istiodDeployment, istiodObjects } from './istio-install.ts';
import { namespace } from './workloads.ts';

export const istioAksKubernetesVersion = 'v1.35.0';

/**
 * The add-on's external ingress gateway: Deployment `aks-istio-ingressgateway-external-<rev>` (pods labelled
 * `app`/`istio: aks-istio-ingressgateway-external`), Service `aks-istio-ingressgateway-external` (LoadBalancer, ports
 * 15021, 80 `http2`, 443). Installed rendered (the proxy `router` container filled in); its ServiceAccount name is
 * UNCONFIRMED (README): we use the Service's name.
 */
export function aksIngressGatewayObjects(layout: IstioLayout): KubeObject[] {
  const g = aksIngressGateway;
  const selector = { app: g.selectorLabel, istio: g.selectorLabel };
  const labels = { ...selector, [revLabel]: layout.revision, 'kubernetes.azure.com/managedby': 'aks' };
  const deployName = `${g.name}-${layout.revision}`;
  const fieldRef = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: g.serviceAccount, namespace: g.namespace, labels } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: deployName, namespace: g.namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { ...selector, [revLabel]: layout.revision } },
        template: {
          metadata: {
            labels: { ...labels, 'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': g.name, 'service.istio.io/canonical-revision': layout.revision },
            annotations: { [revLabel]: layout.revision, 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': String(proxyPorts.status), 'prometheus.io/scrape': 'true' },
          },
          spec: {
            serviceAccountName: g.serviceAccount,
            securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [{
              name: 'istio-proxy',
              image: proxyImage(layout),
              args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
              env: [
                { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
                { name: 'CA_ADDR', value: `istiod-${layout.revision}.${layout.namespace}.svc:15012` },
                fieldRef('POD_NAME', 'metadata.name'), fieldRef('POD_NAMESPACE', 'metadata.namespace'), fieldRef('INSTANCE_IP', 'status.podIP'), fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
                { name: 'ISTIO_META_WORKLOAD_NAME', value: deployName },
                { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
              ],
              ports: [
                { containerPort: proxyPorts.envoyPrometheus, name: 'http-envoy-prom', protocol: 'TCP' },
                { containerPort: proxyPorts.health, name: 'status-port', protocol: 'TCP' },
              ],
              readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: proxyPorts.health, scheme: 'HTTP' }, periodSeconds: 15, successThreshold: 1, timeoutSeconds: 3 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
              resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: g.name, namespace: g.namespace, labels },
      spec: {
        type: 'LoadBalancer',
        selector,
        ports: [
          { name: 'status-port', port: proxyPorts.health, protocol: 'TCP', targetPort: proxyPorts.health },
          { name: 'http2', port: 80, protocol: 'TCP', targetPort: 80 },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 443 },
        ],
      },
    },
  ];
}

const layout = aksAddonLayout();

export const istioAksFlavor: Flavor<'istio-aks'> = {
  name: 'istio-aks',
  mesh: 'istio',
  shape: 'aks',
  kubernetesVersion: istioAksKubernetesVersion,
  nodes(hooks: SimHooks) {
    const arch = hooks.cluster.nodeArch;
    return [aksNode(0, arch, istioAksKubernetesVersion), aksNode(1, arch, istioAksKubernetesVersion)];
  },
  objects(hooks: SimHooks) {
    return [
      ...systemNamespaces(),
      kubernetesService(),
      namespace(layout.namespace),
      namespace(aksIngressGateway.namespace),
      ...gatewayApiCrds({ bundleVersion: 'v1.4.1', managedByAks: true }),
      ...istioCrds(),
      ...istiodObjects(layout, hooks.mesh),
      ...aksCniObjects(layout),
      ...aksIngressGatewayObjects(layout),
    ];
  },
  services: {},
  awaited() {
    return [istiodDeployment(layout), { namespace: aksIngressGateway.namespace, name: `${aksIngressGateway.name}-${layout.revision}` }];
  },
  components: [
    istioControlPlaneComponent(layout),
    loadBalancerComponent({ name: 'azure-load-balancer' }),
    managedPrometheusComponent({ cluster: aksClusterName }),
  ],
  realMeshControlPlane: true,
};
