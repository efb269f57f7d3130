/**
 * The Kubernetes Gateway API CRDs, standard channel (istio.md §3a, §8): GatewayClass, Gateway and HTTPRoute (v1
 * stored, v1beta1 served), GRPCRoute (v1), ReferenceGrant (v1beta1) and BackendTLSPolicy (v1), with the bundle
 * annotations, printer columns and short names of the upstream CRDs. Upstream kind installs the bundle Istio 1.30
 * builds against (v1.5.1); the AKS managed Gateway API installs the bundle of the cluster's Kubernetes minor (v1.4.1
 * on 1.35) and marks it `app.kubernetes.io/managed-by: aks`.
 */
import type { KubeObject } from '../cluster/types.ts';
import { arrayOf, crd, integer, open, string, stringMap, strings } from './crd-builder.ts';

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const parentRef = open({ group: string, kind: string, namespace: string, name: string, sectionName: string, port: integer });
const backendRef = open({ group: string, kind: string, namespace: string, name: string, port: integer, weight: integer });

export function gatewayApiCrds(opts: { bundleVersion: string; managedByAks?: boolean }): KubeObject[] {
  const annotations = {
    'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/3328',
    'gateway.networking.k8s.io/bundle-version': opts.bundleVersion,
    'gateway.networking.k8s.io/channel': 'standard',
    ...(opts.managedByAks ? { 'app.kubernetes.io/managed-by': 'aks' } : {}),
  };
  const base = { group: 'gateway.networking.k8s.io', categories: ['gateway-api'], annotations };
  return [
    crd({
      ...base, kind: 'GatewayClass', plural: 'gatewayclasses', scope: 'Cluster', shortNames: ['gc'],
      versions: ['v1', 'v1beta1'].map((name) => ({
        name, storage: name === 'v1',
        columns: [
          { name: 'Controller', type: 'string', jsonPath: '.spec.controllerName' },
          { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
          age,
          { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
        ],
      })),
      spec: open({ controllerName: string, description: string, parametersRef: open() }, { required: ['controllerName'] }),
    }),
    crd({
      ...base, kind: 'Gateway', plural: 'gateways', shortNames: ['gtw'],
      versions: ['v1', 'v1beta1'].map((name) => ({
        name, storage: name === 'v1',
        columns: [
          { name: 'Class', type: 'string', jsonPath: '.spec.gatewayClassName' },
          { name: 'Address', type: 'string', jsonPath: '.status.addresses[*].value' },
          { name: 'Programmed', type: 'string', jsonPath: '.status.conditions[?(@.type=="Programmed")].status' },
          age,
        ],
      })),
      spec: open({
        gatewayClassName: string,
        listeners: arrayOf(open({
          name: string, hostname: string, port: integer, protocol: string,
          allowedRoutes: open({ namespaces: open({ from: { type: 'string', enum: ['All', 'Same', 'Selector'] }, selector: open({ matchLabels: stringMap }) }), kinds: arrayOf(open({ group: string, kind: string })) }),
          tls: open(),
        })),
        addresses: arrayOf(open({ type: string, value: string })),
        infrastructure: open({ labels: stringMap, annotations: stringMap, parametersRef: open() }),
      }, { required: ['gatewayClassName', 'listeners'] }),
    }),
    crd({
      ...base, kind: 'HTTPRoute', plural: 'httproutes',
      versions: ['v1', 'v1beta1'].map((name) => ({ name, storage: name === 'v1', columns: [{ name: 'Hostnames', type: 'string', jsonPath: '.spec.hostnames' }, age] })),
      spec: open({
        parentRefs: arrayOf(parentRef),
        hostnames: strings,
        rules: arrayOf(open({
          matches: arrayOf(open({ path: open({ type: string, value: string }), headers: arrayOf(open({ type: string, name: string, value: string })), method: string, queryParams: arrayOf(open()) })),
          backendRefs: arrayOf(backendRef),
          filters: arrayOf(open()),
        })),
      }),
    }),
    crd({
      ...base, kind: 'GRPCRoute', plural: 'grpcroutes',
      versions: [{ name: 'v1', storage: true, columns: [{ name: 'Hostnames', type: 'string', jsonPath: '.spec.hostnames' }, age] }],
      spec: open({ parentRefs: arrayOf(parentRef), hostnames: strings, rules: arrayOf(open({ backendRefs: arrayOf(backendRef) })) }),
    }),
    crd({
      ...base, kind: 'ReferenceGrant', plural: 'referencegrants', shortNames: ['refgrant'], status: false,
      versions: [{ name: 'v1beta1', storage: true, columns: [age] }],
      spec: open({ from: arrayOf(open({ group: string, kind: string, namespace: string })), to: arrayOf(open({ group: string, kind: string, name: string })) }),
    }),
    crd({
      ...base, kind: 'BackendTLSPolicy', plural: 'backendtlspolicies', shortNames: ['btlspolicy'],
      versions: [{ name: 'v1', storage: true, columns: [age] }],
      spec: open({ targetRefs: arrayOf(open()), validation: open() }),
    }),
  ];
}
