/**
 * The Istio CRDs of the `base` chart (istio.md §1, §4) that the simulated istiod and proxies read:
 * networking.istio.io (Gateway, VirtualService, DestinationRule, ServiceEntry, Sidecar: v1 stored, v1beta1 and
 * v1alpha3 served) and security.istio.io (AuthorizationPolicy, PeerAuthentication, RequestAuthentication: v1 stored,
 * v1beta1 served), each with a status subresource as upstream. Their schemas spell out the fields the emulation reads
 * and preserve the rest. The base chart's other CRDs (EnvoyFilter, ProxyConfig, WorkloadEntry, WorkloadGroup,
 * Telemetry, WasmPlugin, TrafficExtension), which nothing here reads, are served with open schemas and the versions
 * `istioctl manifest generate` renders (found against the real install, simulator/README.md "The real istiod").
 */
import type { KubeObject } from '../cluster/types.ts';
import { istioVersion } from '../mesh/istio/constants.ts';
import { arrayOf, boolean, crd, integer, open, string, stringMap, strings } from './crd-builder.ts';

function labels(): Record<string, string> {
  return {
    'app.kubernetes.io/instance': 'istio-base', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'istio-base',
    'app.kubernetes.io/part-of': 'istio', 'app.kubernetes.io/version': istioVersion, 'helm.sh/chart': `base-${istioVersion}`,
  };
}

const portSelector = open({ number: integer });
const workloadSelector = open({ matchLabels: stringMap });
const stringMatch = open({ exact: string, prefix: string, regex: string });

const networkingVersions = (columns?: { name: string; type: string; jsonPath: string; description?: string }[]) => [
  { name: 'v1', storage: true, ...(columns ? { columns } : {}) },
  { name: 'v1alpha3', ...(columns ? { columns } : {}) },
  { name: 'v1beta1', ...(columns ? { columns } : {}) },
];
const securityVersions = (columns?: { name: string; type: string; jsonPath: string; description?: string }[]) => [
  { name: 'v1', storage: true, ...(columns ? { columns } : {}) },
  { name: 'v1beta1', ...(columns ? { columns } : {}) },
];
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function istioCrds(): KubeObject[] {
  const networking = { group: 'networking.istio.io', categories: ['istio-io', 'networking-istio-io'], labels: labels(), annotations: { 'helm.sh/resource-policy': 'keep' } };
  const security = { group: 'security.istio.io', categories: ['istio-io', 'security-istio-io'], labels: labels(), annotations: { 'helm.sh/resource-policy': 'keep' } };
  return [
    crd({
      ...networking, kind: 'Gateway', plural: 'gateways', shortNames: ['gw'], versions: networkingVersions(),
      spec: open({
        selector: stringMap,
        servers: arrayOf(open({ port: open({ number: integer, protocol: string, name: string, targetPort: integer }), hosts: strings, bind: string, name: string, tls: open() })),
      }),
    }),
    crd({
      ...networking, kind: 'VirtualService', plural: 'virtualservices', shortNames: ['vs'],
      versions: networkingVersions([
        { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'The names of gateways and sidecars that should apply these routes' },
        { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The destination hosts to which traffic is being sent' },
        age,
      ]),
      spec: open({
        hosts: strings, gateways: strings, exportTo: strings,
        http: arrayOf(open({
          name: string,
          match: arrayOf(open({ uri: stringMatch, method: stringMatch, authority: stringMatch, headers: { type: 'object', additionalProperties: stringMatch }, port: integer, gateways: strings, ignoreUriCase: boolean })),
          route: arrayOf(open({ destination: open({ host: string, subset: string, port: portSelector }), weight: integer })),
          directResponse: open({ status: integer }),
        })),
      }),
    }),
    crd({
      ...networking, kind: 'DestinationRule', plural: 'destinationrules', shortNames: ['dr'],
      versions: networkingVersions([{ name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The name of a service from the service registry' }, age]),
      spec: open({
        host: string, exportTo: strings, workloadSelector: open({ matchLabels: stringMap }),
        trafficPolicy: open({ tls: open({ mode: { type: 'string', enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] } }), portLevelSettings: arrayOf(open({ port: portSelector, tls: open({ mode: string }) })) }),
      }),
    }),
    crd({
      ...networking, kind: 'ServiceEntry', plural: 'serviceentries', shortNames: ['se'],
      versions: networkingVersions([
        { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts associated with the ServiceEntry' },
        { name: 'Location', type: 'string', jsonPath: '.spec.location', description: 'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)' },
        { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'Service resolution mode for the hosts (NONE, STATIC, or DNS)' },
        age,
      ]),
      spec: open({ hosts: strings, location: string, resolution: string, ports: arrayOf(open({ number: integer, protocol: string, name: string })) }),
    }),
    crd({ ...networking, kind: 'Sidecar', plural: 'sidecars', versions: networkingVersions(), spec: open({ workloadSelector, egress: arrayOf(open()), ingress: arrayOf(open()) }) }),
    crd({
      ...security, kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', shortNames: ['ap'],
      versions: securityVersions([
        { name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'The operation to take.' },
        age,
      ]),
      spec: open({
        selector: workloadSelector,
        action: { type: 'string', enum: ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] },
        provider: open({ name: string }),
        rules: arrayOf(open({
          from: arrayOf(open({ source: open({ principals: strings, notPrincipals: strings, namespaces: strings, notNamespaces: strings, ipBlocks: strings, notIpBlocks: strings, requestPrincipals: strings }) })),
          to: arrayOf(open({ operation: open({ methods: strings, notMethods: strings, paths: strings, notPaths: strings, ports: strings, notPorts: strings, hosts: strings, notHosts: strings }) })),
          when: arrayOf(open({ key: string, values: strings, notValues: strings })),
        })),
      }),
    }),
    crd({
      ...security, kind: 'PeerAuthentication', plural: 'peerauthentications', shortNames: ['pa'],
      versions: securityVersions([
        { name: 'Mode', type: 'string', jsonPath: '.spec.mtls.mode', description: 'Defines the mTLS mode used for peer authentication.' },
        age,
      ]),
      spec: open({ selector: workloadSelector, mtls: open({ mode: { type: 'string', enum: ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] } }), portLevelMtls: { type: 'object', additionalProperties: open({ mode: string }) } }),
    }),
    crd({ ...security, kind: 'RequestAuthentication', plural: 'requestauthentications', shortNames: ['ra'], versions: securityVersions(), spec: open({ selector: workloadSelector, jwtRules: arrayOf(open()) }) }),
    // Served, not read by the emulation (open schemas).
    crd({ ...networking, kind: 'EnvoyFilter', plural: 'envoyfilters', versions: [{ name: 'v1alpha3', storage: true }], spec: open() }),
    crd({ ...networking, kind: 'ProxyConfig', plural: 'proxyconfigs', versions: [{ name: 'v1beta1', storage: true }], spec: open() }),
    crd({
      ...networking, kind: 'WorkloadEntry', plural: 'workloadentries', shortNames: ['we'],
      versions: networkingVersions([age, { name: 'Address', type: 'string', jsonPath: '.spec.address', description: 'Address associated with the network endpoint.' }]), spec: open(),
    }),
    crd({ ...networking, kind: 'WorkloadGroup', plural: 'workloadgroups', shortNames: ['wg'], versions: networkingVersions([age]), spec: open() }),
    crd({
      group: 'telemetry.istio.io', categories: ['istio-io', 'telemetry-istio-io'], labels: labels(), annotations: { 'helm.sh/resource-policy': 'keep' },
      kind: 'Telemetry', plural: 'telemetries', shortNames: ['telemetry'], versions: [{ name: 'v1', columns: [age] }, { name: 'v1alpha1', storage: true, columns: [age] }], spec: open(),
    }),
    ...(['WasmPlugin', 'TrafficExtension'] as const).map((kind) => crd({
      group: 'extensions.istio.io', categories: ['istio-io', 'extensions-istio-io'], labels: labels(), annotations: { 'helm.sh/resource-policy': 'keep' },
      kind, plural: `${kind.toLowerCase()}s`, versions: [{ name: 'v1alpha1', storage: true, columns: [age] }], spec: open(),
    })),
  ];
}
