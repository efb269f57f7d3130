/**
 * The SMI CustomResourceDefinitions OSM v1.2's osm-bootstrap installs besides its own (cmd/osm-bootstrap/crds/
 * smi_traffic_access.yaml, smi_http_route_group.yaml, smi_tcp_route.yaml, smi_traffic_split.yaml) and OSM's Egress
 * policy (policy_egress.yaml), transcribed for their served version: TrafficTarget `access.smi-spec.io/v1alpha3`,
 * HTTPRouteGroup and TCPRoute `specs.smi-spec.io/v1alpha4`, TrafficSplit `split.smi-spec.io/v1alpha2` (printer
 * column Service), Egress `policy.openservicemesh.io/v1alpha1`. The older versions those files list with
 * `served: false` are left out: nothing can read or write them. The OSM control plane enforces the first four in
 * non-permissive mode (mesh/osm/smi-policy.ts); Egress is served but not acted on.
 */
import type { KubeObject } from '../cluster/types.ts';

const labels = { 'app.kubernetes.io/name': 'openservicemesh.io' };
const str = (description: string): Record<string, unknown> => ({ description, type: 'string' });

function smiCrd(p: { group: string; kind: string; plural: string; singular: string; shortNames: string[]; version: string; spec: Record<string, unknown>; columns?: Record<string, unknown>[]; listKind?: boolean }): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${p.plural}.${p.group}`, labels },
    spec: {
      group: p.group,
      scope: 'Namespaced',
      names: { kind: p.kind, ...(p.listKind ? { listKind: `${p.kind}List` } : {}), shortNames: p.shortNames, plural: p.plural, singular: p.singular },
      conversion: { strategy: 'None' },
      versions: [{
        name: p.version,
        served: true,
        storage: true,
        ...(p.columns ? { additionalPrinterColumns: p.columns } : {}),
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: p.spec } } },
      }],
    },
  };
}

const namedRef = (what: string): Record<string, unknown> => ({
  type: 'object',
  required: ['name', 'kind'],
  properties: { kind: str(`Kind of ${what}.`), name: str(`Name of ${what}.`), namespace: str(`Namespace of ${what}.`) },
});

/** `traffictargets.access.smi-spec.io` v1alpha3 (short name `tt`). */
export function trafficTargetCrd(): KubeObject {
  return smiCrd({
    group: 'access.smi-spec.io', kind: 'TrafficTarget', plural: 'traffictargets', singular: 'traffictarget', shortNames: ['tt'], version: 'v1alpha3',
    spec: {
      type: 'object',
      required: ['destination', 'rules', 'sources'],
      properties: {
        destination: { description: 'The destination of this traffic target.', ...namedRef('the destination') },
        rules: {
          description: 'Specifications of this traffic target.',
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'kind'],
            properties: {
              kind: { description: 'Kind of this spec.', type: 'string', enum: ['HTTPRouteGroup', 'TCPRoute', 'UDPRoute'] },
              name: str('Name of this spec.'),
              matches: { description: 'Match conditions of this spec.', type: 'array', items: { type: 'string' } },
            },
          },
        },
        sources: { description: 'Sources of this traffic target.', type: 'array', items: namedRef('this source') },
      },
    },
  });
}

const httpMethods = ['*', 'GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** `httproutegroups.specs.smi-spec.io` v1alpha4 (short name `htr`); `headers` is a list of one-entry maps. */
export function httpRouteGroupCrd(): KubeObject {
  return smiCrd({
    group: 'specs.smi-spec.io', kind: 'HTTPRouteGroup', plural: 'httproutegroups', singular: 'httproutegroup', shortNames: ['htr'], version: 'v1alpha4',
    spec: {
      type: 'object',
      required: ['matches'],
      properties: {
        matches: {
          description: 'Match conditions of this route group.',
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: str('Name of the HTTP route.'),
              pathRegex: str('URI path regex of the HTTP route.'),
              methods: { description: 'The HTTP methods of this HTTP route.', type: 'array', items: { type: 'string', description: 'The HTTP method of this HTTP route.', enum: httpMethods } },
              headers: {
                description: 'Header match conditions of this route.',
                type: 'array',
                items: { description: 'Header match condition of this route.', type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  });
}

/** `tcproutes.specs.smi-spec.io` v1alpha4 (short name `tr`). */
export function tcpRouteCrd(): KubeObject {
  return smiCrd({
    group: 'specs.smi-spec.io', kind: 'TCPRoute', plural: 'tcproutes', singular: 'tcproute', shortNames: ['tr'], version: 'v1alpha4',
    spec: {
      type: 'object',
      required: ['matches'],
      properties: {
        matches: {
          description: 'Match conditions of this route.',
          type: 'object',
          required: ['ports'],
          properties: { ports: { description: 'Port numbers to match TCP traffic.', type: 'array', items: { type: 'integer' } } },
        },
      },
    },
  });
}

/** `trafficsplits.split.smi-spec.io` v1alpha2 (short name `ts`, printer column Service). */
export function trafficSplitCrd(): KubeObject {
  return smiCrd({
    group: 'split.smi-spec.io', kind: 'TrafficSplit', plural: 'trafficsplits', singular: 'trafficsplit', shortNames: ['ts'], version: 'v1alpha2', listKind: true,
    columns: [{ name: 'Service', type: 'string', description: 'The apex service of this split.', jsonPath: '.spec.service' }],
    spec: {
      type: 'object',
      required: ['service', 'backends'],
      properties: {
        service: str('The apex service of this split.'),
        backends: {
          description: 'The backend services of this split.',
          type: 'array',
          items: { type: 'object', required: ['service', 'weight'], properties: { service: str('Name of the Kubernetes service.'), weight: { description: 'Traffic weight value of this backend.', type: 'number' } } },
        },
      },
    },
  });
}

/** `egresses.policy.openservicemesh.io` v1alpha1 (OSM's egress policy; served, not emulated). */
export function egressCrd(): KubeObject {
  return smiCrd({
    group: 'policy.openservicemesh.io', kind: 'Egress', plural: 'egresses', singular: 'egress', shortNames: ['egress'], version: 'v1alpha1', listKind: true,
    spec: {
      type: 'object',
      required: ['sources', 'ports'],
      properties: {
        sources: {
          description: 'Sources the egress policy is applicable to.',
          type: 'array',
          items: { type: 'object', required: ['kind', 'name', 'namespace'], properties: { kind: { description: 'Kind of this source.', type: 'string', enum: ['ServiceAccount'] }, name: str('Name of this source.'), namespace: str('Namespace of this source.') } },
        },
        hosts: { description: 'Hosts that the sources are allowed to direct external traffic to.', type: 'array', items: { type: 'string' } },
        ipAddresses: { description: 'IP address ranges that the sources are allowed to direct external traffic to.', type: 'array', items: { type: 'string', pattern: '((?:\\d{1,3}\\.){3}\\d{1,3})\\/(\\d{1,2})$' } },
        ports: {
          description: 'Ports that the sources are allowed to direct external traffic to.',
          type: 'array',
          items: { type: 'object', required: ['number', 'protocol'], properties: { number: { description: 'Port number of this port.', type: 'integer', minimum: 1, maximum: 65535 }, protocol: str('Protocol served by this port.') } },
        },
        matches: {
          description: 'The resource references an Egress policy should match on.',
          type: 'array',
          items: { type: 'object', required: ['apiGroup', 'kind', 'name'], properties: { apiGroup: str('API group for the resource being referenced.'), kind: str('Type of resource being referenced.'), name: str('Name of resource being referenced.') } },
        },
      },
    },
  });
}

/** The SMI CRDs and OSM's Egress, in install order. */
export function smiCrds(): KubeObject[] {
  return [trafficTargetCrd(), httpRouteGroupCrd(), tcpRouteCrd(), trafficSplitCrd(), egressCrd()];
}
