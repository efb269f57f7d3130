/**
 * What `aks-up --ingress agc` leaves on the aks flavor for Application Gateway for Containers
 * (simulator/src/ingress/app-gateway-for-containers.ts): the Gateway API CRDs (standard channel), the ALB
 * controller's ApplicationLoadBalancer CRD, the ALB controller add-on's Deployment in kube-system, and the
 * quickstart's ALB-managed ApplicationLoadBalancer `alb-test-infra/alb-test` associated with the AGC subnet.
 * UNCONFIRMED (docs/aks.md): the controller's image tag, the Gateway API bundle the add-on installs on 1.29, and the
 * CRD's full schema (only the fields the harness reads are modelled).
 */
import type { KubeObject } from '../cluster/types.ts';
import { crd, open, strings } from './crd-builder.ts';
import { gatewayApiCrds } from './gateway-api-crds.ts';
import { deployment, serviceAccount } from './workloads.ts';

export const albControllerImage = 'mcr.microsoft.com/application-lb/images/alb-controller:1.7.9';
export const albController = { namespace: 'kube-system', name: 'alb-controller' } as const;
const agcSubnetId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/MC_mesh-conformance_mesh-conformance_eastus/providers/Microsoft.Network/virtualNetworks/aks-vnet-12345678/subnets/subnet-alb';

export function agcObjects(): KubeObject[] {
  const labels = { app: 'alb-controller', 'kubernetes.azure.com/managedby': 'aks' };
  return [
    ...gatewayApiCrds({ bundleVersion: 'v1.2.1', managedByAks: true }),
    crd({
      group: 'alb.networking.azure.io', kind: 'ApplicationLoadBalancer', plural: 'applicationloadbalancers', shortNames: ['alb'],
      versions: [{ name: 'v1', storage: true, columns: [{ name: 'DEPLOYMENT', type: 'string', jsonPath: '.status.conditions[?(@.type=="Deployment")].status' }, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] }],
      spec: open({ associations: strings }),
    }),
    serviceAccount('alb-controller-sa', albController.namespace, labels),
    deployment({
      name: albController.name, namespace: albController.namespace, labels, podLabels: labels, replicas: 2, image: albControllerImage,
      containerName: 'alb-controller', serviceAccountName: 'alb-controller-sa', ports: [{ name: 'health', containerPort: 8001 }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    }),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'alb-test-infra' } },
    { apiVersion: 'alb.networking.azure.io/v1', kind: 'ApplicationLoadBalancer', metadata: { name: 'alb-test', namespace: 'alb-test-infra' }, spec: { associations: [agcSubnetId] } },
  ];
}
