/**
 * The aks flavor: an AKS cluster with the OSM add-on (osm.md §7 "AKS add-on") and AGIC (osm.md §5b):
 * two `aks-nodepool1-12345678-vmss00000N` nodes, OSM in kube-system with 2 osm-controller and 2
 * osm-injector replicas and `aks-osm-*` webhook configurations, the `azure-application-gateway`
 * IngressClass and the AGIC Deployment, and Application Gateway for Containers as `aks-up --ingress agc` sets it up
 * (flavors/agc-install.ts). Its components: the OSM control plane, the Application Gateway and Application Gateway
 * for Containers, which run outside the cluster (simulator/src/ingress/app-gateway.ts, app-gateway-for-containers.ts)
 * and reach pods from 10.x addresses, and Azure Monitor (simulator/src/azure/azure-monitor.ts).
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { aksAddonLayout } from '../mesh/osm/constants.ts';
import { kubernetesService, systemNamespaces } from './base-cluster.ts';
import { azureMonitorComponent } from '../azure/azure-monitor.ts';
import { appGatewayComponent } from '../ingress/app-gateway.ts';
import { agcComponent } from '../ingress/app-gateway-for-containers.ts';
import { agcObjects, albController, albControllerImage } from './agc-install.ts';
import { osmControlPlaneComponent } from '../mesh/osm/control-plane.ts';
import type { Flavor } from './flavor.ts';
import { node } from './nodes.ts';
import { osmControlPlaneDeployments, osmControlPlaneObjects, osmCrds } from './osm-install.ts';
import { deployment, serviceAccount } from './workloads.ts';

export const aksResourceGroup = 'mesh-conformance';
export const aksClusterName = 'mesh-conformance';
export const aksNodeResourceGroup = `MC_${aksResourceGroup}_${aksClusterName}_eastus`;
/** The managed cluster's ARM resource id (Azure Monitor's `_ResourceId`). */
export const aksClusterResourceId = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${aksResourceGroup}/providers/Microsoft.ContainerService/managedClusters/${aksClusterName}`;
/** The AKS cluster's Kubernetes version (control plane and node pool alike). */
export const aksKubernetesVersion = 'v1.29.2';
export const agicImage = 'mcr.microsoft.com/azure-application-gateway/kubernetes-ingress:1.7.2';

/** A node of the AKS cluster's system pool (`kubeletVersion`: default the OSM cluster's). */
export function aksNode(index: number, arch: 'amd64' | 'arm64', kubeletVersion?: string): KubeObject {
  const name = `aks-nodepool1-12345678-vmss00000${index}`;
  return node({
    name,
    arch,
    labels: {
      agentpool: 'nodepool1',
      'kubernetes.azure.com/agentpool': 'nodepool1',
      'kubernetes.azure.com/cluster': aksNodeResourceGroup,
      'kubernetes.azure.com/mode': 'system',
      'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202404.09.0',
      'kubernetes.azure.com/os-sku': 'Ubuntu',
      'kubernetes.azure.com/role': 'agent',
      'kubernetes.io/role': 'agent',
      'node-role.kubernetes.io/agent': '',
      'node.kubernetes.io/instance-type': 'Standard_DS2_v2',
      'topology.kubernetes.io/region': 'eastus',
      'topology.kubernetes.io/zone': '0',
    },
    providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${aksNodeResourceGroup.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/${index}`,
    osImage: 'Ubuntu 22.04.4 LTS',
    containerRuntimeVersion: 'containerd://1.7.15-1',
    kernelVersion: '5.15.0-1061-azure',
    capacity: { cpu: '2', memory: '7097616Ki', pods: '110', 'ephemeral-storage': '129886128Ki' },
    kubeletVersion: kubeletVersion ?? aksKubernetesVersion,
  });
}

/** AGIC as the AKS ingress-appgw add-on deploys it. */
function agicObjects(): KubeObject[] {
  const labels = { app: 'ingress-appgw', 'kubernetes.azure.com/managedby': 'aks' };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'azure-application-gateway', labels: { 'app.kubernetes.io/name': 'ingress-appgw', 'kubernetes.azure.com/managedby': 'aks' } },
      spec: { controller: 'azure/application-gateway' },
    },
    serviceAccount('ingress-appgw-sa', 'kube-system', labels),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ingress-appgw-cm', namespace: 'kube-system', labels },
      data: {
        APPGW_NAME: 'mesh-conformance-appgw',
        APPGW_RESOURCE_GROUP: aksNodeResourceGroup,
        APPGW_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
        AZURE_CLOUD_PROVIDER_LOCATION: '/etc/kubernetes/azure.json',
        HTTP_SERVICE_PORT: '8123',
        USE_PRIVATE_IP: 'false',
        VERBOSITY_LEVEL: '5',
      },
    },
    deployment({
      name: 'ingress-appgw-deployment',
      namespace: 'kube-system',
      labels,
      podLabels: labels,
      replicas: 1,
      image: agicImage,
      containerName: 'ingress-appgw-container',
      serviceAccountName: 'ingress-appgw-sa',
      ports: [{ name: 'http', containerPort: 8123 }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      readinessProbe: { httpGet: { path: '/health/ready', port: 8123 }, initialDelaySeconds: 5, periodSeconds: 10 },
    }),
  ];
}

const layout = aksAddonLayout();

export const aksFlavor: Flavor<'aks'> = {
  name: 'aks',
  mesh: 'osm',
  shape: 'aks',
  kubernetesVersion: aksKubernetesVersion,
  nodes(hooks: SimHooks) {
    const arch = hooks.cluster.nodeArch;
    return [aksNode(0, arch), aksNode(1, arch)];
  },
  objects(hooks: SimHooks) {
    return [
      ...systemNamespaces(),
      kubernetesService(),
      ...osmCrds(),
      ...osmControlPlaneObjects({ layout, hooks: hooks.mesh, replicas: 2 }),
      ...agicObjects(),
      ...agcObjects(),
    ];
  },
  services: {},
  awaited(hooks: SimHooks) {
    return [...osmControlPlaneDeployments(layout, hooks.mesh), { namespace: 'kube-system', name: 'ingress-appgw-deployment' }, albController];
  },
  components: [
    osmControlPlaneComponent(layout),
    appGatewayComponent({ agicImage }),
    agcComponent({ albControllerImage }),
    azureMonitorComponent({ clusterResourceId: aksClusterResourceId }),
  ],
};
