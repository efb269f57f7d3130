/**
 * ingress-nginx (the kind path of the guide, osm.md §5a): an Ingress with `ingressClassName: nginx`; the controller's
 * Service is the source the mesh must trust. Upstream maintenance ended in March 2026: kept for clusters that
 * still run it.
 */
import type { KubernetesObject, V1Endpoints } from '@kubernetes/client-node';
import type { BackendMtlsRequest, IngressProfile } from '../ingress-profile.ts';
import { ingressAddressVerdict, ingressObject } from '../ingress-resource.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok } from '../../readiness/readiness-result.ts';

const controller = { namespace: 'ingress-nginx', service: 'ingress-nginx-controller', ingressClass: 'nginx' } as const;

/** IngressClass `nginx` and a controller Service with ready endpoints. */
async function controllerLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const opts = { budgetMs: ctx.budgetMs };
  const hint = 'install ingress-nginx (release ingress-nginx in namespace ingress-nginx): `node scripts/kind-up.mjs` does it, or choose the ingress profile that matches the cluster';
  const lines: ReadinessLine[] = [];
  const cls = await ctx.client.read<KubernetesObject>({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: controller.ingressClass }, opts);
  if (!cls) lines.push(fail('ingress/class', `IngressClass ${controller.ingressClass} not found (the ingress profile nginx writes ingressClassName: ${controller.ingressClass})`, hint));
  const svc = await ctx.client.read<KubernetesObject>({ ...resourceTypes.service, namespace: controller.namespace, name: controller.service }, opts);
  if (!svc) {
    lines.push(fail('ingress/controller', `Service ${controller.namespace}/${controller.service} not found (the mesh's ingress policy names it as the trusted source)`, hint));
    return lines;
  }
  const ep = await ctx.client.read<V1Endpoints>({ apiVersion: 'v1', kind: 'Endpoints', namespace: controller.namespace, name: controller.service }, opts);
  const ready = (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  if (!ready) lines.push(fail('ingress/controller', `the ingress-nginx controller has no ready pod (Service ${controller.namespace}/${controller.service} has no ready endpoints)`, 'look at `kubectl -n ingress-nginx get pods` and their events; on kind the controller needs the worker labelled ingress-ready=true'));
  else if (cls) lines.push(ok('ingress/controller', `ingress-nginx (IngressClass ${controller.ingressClass}, ${ready} ready controller endpoint${ready === 1 ? '' : 's'})`));
  return lines;
}

/** The mesh admits the controller's traffic only when its namespace is set up for it (the mesh profile says how). */
async function sourceLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const source = { kind: 'Service', namespace: controller.namespace, name: controller.service } as const;
  const problem = await ctx.mesh.ingressPolicy.sourceProblem(ctx.client, source, ctx.budgetMs);
  if (!problem) return [ok('ingress/source', `the mesh can admit traffic from Service ${controller.namespace}/${controller.service}`)];
  const [what, hint] = problem.split('; run: ');
  return [fail('ingress/source', what ?? problem, hint ? `run: ${hint}` : 'set up the controller\'s namespace as the mesh profile says')];
}

/**
 * ingress-nginx's "Backend Certificate Authentication" annotations, as OSM's e2e test and ingress docs set them
 * (docs/ingress-mtls.md): TLS to the backend, the client certificate and CA from the Secret, the backend's certificate
 * verified for its mesh name. The name goes in `proxy-ssl-name` rather than OSM's `configuration-snippet`
 * (`proxy_ssl_name "…";`): current ingress-nginx refuses snippet annotations unless the administrator allows them.
 */
export function backendMtlsAnnotations(mtls: BackendMtlsRequest): Record<string, string> {
  return {
    'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS',
    'nginx.ingress.kubernetes.io/proxy-ssl-secret': `${mtls.secret.namespace}/${mtls.secret.name}`,
    'nginx.ingress.kubernetes.io/proxy-ssl-verify': 'on',
    'nginx.ingress.kubernetes.io/proxy-ssl-name': mtls.backendName,
  };
}

export function nginxIngressProfile(): IngressProfile {
  return {
    name: 'nginx',
    title: 'ingress-nginx',
    sourceKind: 'Service',
    features: ['ingress-mtls'],
    featureUnavailable(feature, ctx) {
      if (feature !== 'ingress-mtls') return Promise.resolve(undefined);
      const mesh = ctx.profiles.find((p) => p.title !== 'ingress-nginx' && p.features?.includes(feature));
      return Promise.resolve(mesh ? undefined : `the mesh profile (${ctx.profiles.filter((p) => p.title !== 'ingress-nginx').map((p) => p.title).join(', ')}) does not admit ingress-nginx over mTLS`);
    },
    writes: [resourceTypes.ingress],
    route: (req) => ({
      objects: [ingressObject(req, { ingressClassName: controller.ingressClass })],
      accepted: [],
      address: ingressAddressVerdict(req),
    }),
    mtlsRoute: (req, mtls) => ({
      objects: [ingressObject(req, { ingressClassName: controller.ingressClass, annotations: backendMtlsAnnotations(mtls) })],
      accepted: [],
      address: ingressAddressVerdict(req),
    }),
    source: () => Promise.resolve({ kind: 'Service', namespace: controller.namespace, name: controller.service }),
    readiness: () => [{
      id: 'ingress', title: 'Ingress controller (nginx)', checkers: [
        { id: 'ingress/controller', description: 'the ingress-nginx controller', fatal: true, check: controllerLines },
        { id: 'ingress/source', description: 'the controller\'s namespace in the mesh', fatal: false, check: sourceLines },
      ],
    }],
    access: () => [],
    reads: () => [{ verbs: ['get'], group: 'networking.k8s.io', resource: 'ingressclasses', why: 'the controller\'s IngressClass (pre-flight)' }],
  };
}
