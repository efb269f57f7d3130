/**
 * The OSM v1.2 CustomResourceDefinitions the control plane serves, in the shape osm-bootstrap installs
 * them (cmd/osm-bootstrap/crds/*.yaml, osm.md §3 and §7). Only IngressBackend and MeshConfig are emulated. The
 * API server validates custom resources against these schemas and prunes what they do not declare, so they must be
 * OSM's: IngressBackend's is its v1.2 YAML verbatim; MeshConfig's is transcribed for the fields OSM v1.2 defines.
 */
import type { KubeObject } from '../cluster/types.ts';

const crdLabels = { 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': 'osm' };

/** `ingressbackends.policy.openservicemesh.io`: v1alpha1 only, status subresource, printer column Status. */
export function ingressBackendCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'ingressbackends.policy.openservicemesh.io', labels: crdLabels },
    spec: {
      group: 'policy.openservicemesh.io',
      scope: 'Namespaced',
      names: { kind: 'IngressBackend', listKind: 'IngressBackendList', shortNames: ['ingressbackend'], singular: 'ingressbackend', plural: 'ingressbackends' },
      conversion: { strategy: 'None' },
      versions: [{
        name: 'v1alpha1',
        served: true,
        storage: true,
        additionalPrinterColumns: [{ description: 'Current status of the IngressBackend policy.', jsonPath: '.status.currentStatus', name: 'Status', type: 'string' }],
        subresources: { status: {} },
        schema: {
          // cmd/osm-bootstrap/crds/policy_ingress_backend.yaml of OSM v1.2, as written there (no top-level `required`,
          // no enum on a source's kind: the validating webhook checks kinds, osm.md §3).
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['backends', 'sources'],
                properties: {
                  backends: {
                    description: 'Backends the IngressBackend policy is applicable to.',
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['name', 'port'],
                      properties: {
                        name: { description: 'Name of the backend.', type: 'string' },
                        port: {
                          description: 'Port of the backend.',
                          type: 'object',
                          required: ['number', 'protocol'],
                          properties: {
                            number: { description: 'Port number of this port.', type: 'integer', minimum: 1, maximum: 65535 },
                            protocol: { description: 'Protocol served by this port.', type: 'string' },
                          },
                        },
                        tls: {
                          description: 'TLS configuration for the backend.',
                          type: 'object',
                          required: ['skipClientCertValidation'],
                          properties: {
                            skipClientCertValidation: { description: 'Skip client certificate validation.', type: 'boolean' },
                            sniHosts: { description: 'SNI hosts allowed by the backend.', type: 'array', items: { type: 'string' } },
                          },
                        },
                      },
                    },
                  },
                  sources: {
                    description: 'Sources the IngressBackend policy is applicable to.',
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['kind', 'name'],
                      properties: {
                        kind: { description: 'Kind of this source.', type: 'string' },
                        name: { description: 'Name of this source.', type: 'string' },
                        namespace: { description: 'Namespace of this source.', type: 'string' },
                      },
                    },
                  },
                  matches: {
                    description: 'The resource references an IngressBackend policy should match on.',
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['apiGroup', 'kind', 'name'],
                      properties: {
                        apiGroup: { description: 'API group for the resource being referenced.', type: 'string' },
                        kind: { description: 'Type of resource being referenced.', type: 'string' },
                        name: { description: 'Name of resource being referenced.', type: 'string' },
                      },
                    },
                  },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      }],
    },
  };
}

const meshConfigSpecSchema = {
  type: 'object',
  properties: {
    sidecar: {
      type: 'object',
      properties: {
        enablePrivilegedInitContainer: { type: 'boolean' },
        logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'] },
        maxDataPlaneConnections: { type: 'integer' },
        envoyImage: { type: 'string' },
        envoyWindowsImage: { type: 'string' },
        initContainerImage: { type: 'string' },
        configResyncInterval: { type: 'string' },
        tlsMinProtocolVersion: { type: 'string' },
        tlsMaxProtocolVersion: { type: 'string' },
        cipherSuites: { type: 'array', items: { type: 'string' } },
        ecdhCurves: { type: 'array', items: { type: 'string' } },
        localProxyMode: { type: 'string', enum: ['Localhost', 'PodIP'] },
        resources: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    traffic: {
      type: 'object',
      properties: {
        enableEgress: { type: 'boolean' },
        enablePermissiveTrafficPolicyMode: { type: 'boolean' },
        outboundIPRangeExclusionList: { type: 'array', items: { type: 'string' } },
        outboundIPRangeInclusionList: { type: 'array', items: { type: 'string' } },
        outboundPortExclusionList: { type: 'array', items: { type: 'integer' } },
        inboundPortExclusionList: { type: 'array', items: { type: 'integer' } },
        networkInterfaceExclusionList: { type: 'array', items: { type: 'string' } },
        inboundExternalAuthorization: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    observability: {
      type: 'object',
      properties: {
        osmLogLevel: { type: 'string' },
        enableDebugServer: { type: 'boolean' },
        tracing: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    certificate: {
      type: 'object',
      properties: {
        serviceCertValidityDuration: { type: 'string' },
        certKeyBitSize: { type: 'integer' },
        ingressGateway: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    featureFlags: {
      type: 'object',
      properties: Object.fromEntries([
        'enableWASMStats', 'enableEgressPolicy', 'enableMulticlusterMode', 'enableSnapshotCacheMode', 'enableAsyncProxyServiceMapping',
        'enableIngressBackendPolicy', 'enableEnvoyActiveHealthChecks', 'enableRetryPolicy',
      ].map((flag) => [flag, { type: 'boolean' }])),
    },
  },
};

/** `meshconfigs.config.openservicemesh.io`: v1alpha2 storage, v1alpha1 still served (deprecated). */
export function meshConfigCrd(): KubeObject {
  const version = (name: string, storage: boolean) => ({
    name,
    served: true,
    storage,
    ...(storage ? {} : { deprecated: true, deprecationWarning: 'config.openservicemesh.io/v1alpha1 MeshConfig is deprecated; use config.openservicemesh.io/v1alpha2' }),
    schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { spec: meshConfigSpecSchema } } },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'meshconfigs.config.openservicemesh.io', labels: crdLabels },
    spec: {
      group: 'config.openservicemesh.io',
      scope: 'Namespaced',
      names: { kind: 'MeshConfig', listKind: 'MeshConfigList', shortNames: ['meshconfig'], singular: 'meshconfig', plural: 'meshconfigs' },
      conversion: { strategy: 'None' },
      versions: [version('v1alpha1', false), version('v1alpha2', true)],
    },
  };
}
