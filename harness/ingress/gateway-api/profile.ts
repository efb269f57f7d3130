/**
 * Gateway API ingress (gateway.networking.k8s.io/v1): a Gateway of a class (Istio's `istio`, with its automated
 * deployment `<gateway>-istio`; istio.md §3a) with one HTTP listener for the run's host, and an HTTPRoute to the
 * backend. Verdict: fresh Gateway and route conditions; address: the Gateway's `status.addresses`; the identity the
 * mesh must admit: the ServiceAccount of the gateway's pods.
 */
import type { KubernetesObject, V1Condition, V1Pod } from '@kubernetes/client-node';
import type { Manifest } from '../../k8s/resources.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import { crdLine } from '../../readiness/probes.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok } from '../../readiness/readiness-result.ts';
import type { IngressProfile, IngressSource, RouteRequest } from '../ingress-profile.ts';
import { gatewayAddress, gatewayReady, gatewayTypes, routeAccepted } from './status.ts';

/** The listener port the Gateway opens for the run. */
const listenerPort = 80;

/** A Gateway of a class with one HTTP listener for the request's host, and an HTTPRoute `/` to the backend (any Gateway API ingress). */
export function gatewayObjects(req: RouteRequest, gatewayClassName: string, annotations?: Record<string, string>): Manifest[] {
  return [
    {
      apiVersion: gatewayTypes.gateway.apiVersion, kind: 'Gateway',
      metadata: { name: req.name, namespace: req.namespace, labels: req.labels, ...(annotations ? { annotations } : {}) },
      spec: { gatewayClassName, listeners: [{ name: 'http', port: listenerPort, protocol: 'HTTP', hostname: req.host, allowedRoutes: { namespaces: { from: 'Same' } } }] },
    },
    {
      apiVersion: gatewayTypes.httpRoute.apiVersion, kind: 'HTTPRoute',
      metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
      spec: {
        parentRefs: [{ name: req.name }], hostnames: [req.host],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: req.service, port: req.port }] }],
      },
    },
  ] satisfies Manifest[];
}

/** The ServiceAccount of the gateway's pods (the gateway controller labels them with the Gateway's name). */
async function gatewaySource(ctx: { client: ReadinessContext['client'] }, req: RouteRequest, budgetMs: number): Promise<IngressSource> {
  const pods = (await ctx.client.list<V1Pod>(resourceTypes.pod, { namespace: req.namespace, labelSelector: `gateway.networking.k8s.io/gateway-name=${req.name}` }, { budgetMs })).items;
  const sa = pods.find((p) => !p.metadata?.deletionTimestamp)?.spec?.serviceAccountName;
  if (!sa) throw new Error(`no pod of Gateway ${req.namespace}/${req.name} (label gateway.networking.k8s.io/gateway-name=${req.name}) to read its ServiceAccount from; the Gateway is Programmed, so its controller should have deployed them`);
  return { kind: 'ServiceAccount', namespace: req.namespace, name: sa };
}

/** The Gateway API CRDs serve v1 (one line each). */
export async function gatewayApiCrdLines(ctx: ReadinessContext, installHint: string): Promise<ReadinessLine[]> {
  return Promise.all(['gateways', 'httproutes', 'gatewayclasses'].map((p) => crdLine(ctx.client, {
    id: `ingress/crds/${p}`, name: `${p}.gateway.networking.k8s.io`, version: 'v1', installHint,
    versionHint: 'upgrade the Gateway API CRDs to a bundle that serves v1',
  }, ctx.budgetMs)));
}

/** The GatewayClass exists and its controller accepted it. */
export async function gatewayClassLine(ctx: ReadinessContext, gatewayClassName: string, hint: string): Promise<ReadinessLine> {
  const cls = await ctx.client.read<KubernetesObject & { status?: { conditions?: V1Condition[] } }>({ ...gatewayTypes.gatewayClass, name: gatewayClassName }, { budgetMs: ctx.budgetMs }).catch(() => undefined);
  const accepted = cls?.status?.conditions?.find((c) => c.type === 'Accepted');
  return accepted?.status === 'True'
    ? ok('ingress/class', `GatewayClass ${gatewayClassName} is Accepted${accepted.message ? ` (${accepted.message})` : ''}`)
    : fail('ingress/class', `GatewayClass ${gatewayClassName} is ${cls ? `not Accepted (${accepted ? `${accepted.reason ?? ''}: ${accepted.message ?? ''}` : 'no condition'})` : 'absent'}`, hint);
}

async function readinessLines(ctx: ReadinessContext, gatewayClassName: string): Promise<ReadinessLine[]> {
  const lines = await gatewayApiCrdLines(ctx, 'install the Gateway API CRDs (standard channel): `node scripts/kind-up.mjs --mesh istio` does; on AKS `az aks update --enable-gateway-api`');
  lines.push(await gatewayClassLine(ctx, gatewayClassName, 'its controller creates or accepts it (Istio: istiod, once the Gateway API CRDs exist; restart istiod if the CRDs came later)'));
  return lines;
}

/** A Gateway API ingress of `gatewayClassName`. */
export function gatewayApiIngressProfile(opts: { gatewayClassName: string }): IngressProfile {
  const cls = opts.gatewayClassName;
  return {
    name: 'gateway-api',
    title: `Gateway API (class ${cls})`,
    sourceKind: 'ServiceAccount',
    writes: [gatewayTypes.gateway, gatewayTypes.httpRoute],
    route: (req) => ({
      objects: gatewayObjects(req, cls),
      accepted: [
        { type: gatewayTypes.gateway, namespace: req.namespace, name: req.name, description: `Gateway ${req.namespace}/${req.name} to be Accepted and Programmed, with its listeners`, verdict: gatewayReady },
        { type: gatewayTypes.httpRoute, namespace: req.namespace, name: req.name, description: `HTTPRoute ${req.namespace}/${req.name} to be Accepted with its references resolved`, verdict: routeAccepted({ name: req.name, namespace: req.namespace }) },
      ],
      address: { type: gatewayTypes.gateway, namespace: req.namespace, name: req.name, description: `Gateway ${req.namespace}/${req.name} to have an address in status.addresses`, verdict: gatewayAddress(listenerPort) },
    }),
    source: (client, req, budgetMs) => gatewaySource({ client }, req, budgetMs),
    readiness: () => [{ id: 'ingress', title: `Ingress: Gateway API (class ${cls})`, checkers: [{ id: 'ingress/gateway-api', description: 'the Gateway API CRDs and the GatewayClass', fatal: true, check: (ctx) => readinessLines(ctx, cls) }] }],
    access: () => [],
    reads: () => [{ verbs: ['get'], group: 'gateway.networking.k8s.io', resource: 'gatewayclasses', why: 'the GatewayClass (pre-flight)' }],
  };
}
