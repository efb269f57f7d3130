/**
 * osm-controller's validating webhook for IngressBackend (`osm-validator.k8s.io`, osm.md §3), as an
 * in-process admission plugin. The rules and messages follow OSM v1.2.4's pkg/validator/validators.go
 * (`ingressBackendValidator`) in the order it checks them, including what its code does not do (the cross-IngressBackend
 * conflict check never fires); the store wraps a returned message as kube-apiserver does:
 * `admission webhook "osm-validator.k8s.io" denied the request: <message>`.
 */
import { isIP } from 'node:net';
import type { AdmissionPlugin, AdmissionRequest, KubeObject } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import { arr, num, obj, str } from '../../controllers/kube-objects.ts';
import { controlPlanePorts, validatorWebhookName } from './constants.ts';
import type { MeshView } from './mesh-view.ts';

/** Whether `value` is CIDR notation as Go's net.ParseCIDR accepts it. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = isIP(match[1]!);
  const bits = Number(match[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

interface Backend {
  name: string;
  number: number;
  protocol: string;
  skipClientCertValidation: boolean;
}

function backendsOf(ib: KubeObject): Backend[] {
  return arr(obj(ib['spec'])['backends']).map((b) => {
    const port = obj(b['port']);
    return {
      name: str(b['name']) ?? '',
      number: num(port['number']) ?? 0,
      protocol: str(port['protocol']) ?? '',
      skipClientCertValidation: obj(b['tls'])['skipClientCertValidation'] === true,
    };
  });
}

/**
 * The denial message for `ib`, or undefined when it is valid, as OSM v1.2.4's `ingressBackendValidator` decides it.
 * OSM's docs (osm.md §3) also list "a backend that conflicts with another IngressBackend", and the code has a branch
 * for it, but v1.2.4 never takes it: it looks the backend up as a MeshService without a namespace
 * (`fakeMeshSvc := service.MeshService{Name, TargetPort, Protocol}`), and `policyClient.GetIngressBackendPolicy` skips
 * every IngressBackend whose namespace differs from the service's, i.e. all of them. So two IngressBackends for the
 * same backend are both admitted, as on a real v1.2.4 mesh. Exported for tests.
 */
export function validateIngressBackend(ib: KubeObject): string | undefined {
  const seen = new Set<string>();
  const sources = arr(obj(ib['spec'])['sources']);

  for (const backend of backendsOf(ib)) {
    const key = `${backend.name}\u0000${backend.number}`;
    if (seen.has(key)) return `Duplicate backends detected with service name: ${backend.name} and port: ${backend.number}`;
    seen.add(key);

    switch (backend.protocol.toLowerCase()) {
      case 'http':
        break;
      case 'https': {
        const authenticated = sources.some((s) => s['kind'] === 'AuthenticatedPrincipal');
        // Reproduces OSM's condition as coded (osm.md §3 notes it looks inverted relative to the message).
        if (backend.skipClientCertValidation && !authenticated) {
          return 'HTTPS ingress with client certificate validation enabled must specify at least one \'AuthenticatedPrincipal` source';
        }
        break;
      }
      default:
        return `Expected 'port.protocol' to be 'http' or 'https', got: ${backend.protocol}`;
    }
  }

  for (const source of sources) {
    const kind = str(source['kind']) ?? '';
    const sourceName = str(source['name']) ?? '';
    switch (kind) {
      case 'Service':
        if (sourceName === '') return '\'source.name\' not specified for source kind Service';
        if ((str(source['namespace']) ?? '') === '') return '\'source.namespace\' not specified for source kind Service';
        break;
      case 'AuthenticatedPrincipal':
        if (sourceName === '') return '\'source.name\' not specified for source kind AuthenticatedPrincipal';
        break;
      case 'IPRange':
        if (!isCidr(sourceName)) return `Invalid 'source.name' value specified for IPRange. Expected CIDR notation 'a.b.c.d/x', got '${sourceName}'`;
        break;
      default:
        return 'Invalid \'source.kind\' value specified. Must be one of: Service, AuthenticatedPrincipal, IPRange';
    }
  }
  return undefined;
}

export interface ValidatorOptions {
  view: MeshView;
  hooks?: MeshHooks;
}

/** Builds the admission plugin; register it with store.addAdmissionPlugin. */
export function createValidatorPlugin(opts: ValidatorOptions): AdmissionPlugin & { stop(): void } {
  let stopped = false;
  const { view } = opts;
  const hooks = opts.hooks ?? noHooks.mesh;
  return {
    name: validatorWebhookName,
    endpoint: { namespace: view.layout.osmNamespace, service: 'osm-validator', path: '/validate' },
    stop() {
      stopped = true;
    },
    validate(req: AdmissionRequest): string | undefined {
      if (stopped || (req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.subresource) return undefined;
      if (req.resource.group !== 'policy.openservicemesh.io' || req.resource.kind !== 'IngressBackend') return undefined;
      const namespace = req.namespace ?? req.object.metadata.namespace;
      if (!view.webhookApplies('ValidatingWebhookConfiguration', view.layout.validatorWebhookConfigName, validatorWebhookName, namespace)) return undefined;
      if (!view.componentReachable('osm-validator')) {
        const why = view.service(view.layout.osmNamespace, 'osm-validator') ? 'no endpoints available for service "osm-validator"' : 'service "osm-validator" not found';
        throw new ApiError(500, 'InternalError',
          `Internal error occurred: failed calling webhook "${validatorWebhookName}": failed to call webhook: Post "https://osm-validator.${view.layout.osmNamespace}.svc:${controlPlanePorts.validator}/validate?timeout=30s": ${why}`);
      }
      const denial = hooks.policyAdmissionDenial(req.object);
      if (denial !== undefined) return denial;
      return validateIngressBackend(req.object);
    },
  };
}
