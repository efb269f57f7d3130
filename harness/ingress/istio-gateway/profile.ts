/**
 * An Istio ingress gateway Deployment routed by Istio's own API (istio.md §3b): an Istio `Gateway` selecting the
 * gateway's pods, with a server for the run's host, and a `VirtualService` to the backend. The AKS Istio add-on's
 * external gateway (`aks-istio-ingress/aks-istio-ingressgateway-external`) is the default on aks. These objects
 * have no status: the verdict is weaker than Gateway API's — the API server stored them, and the gateway then answers
 * for the run's host (the mesh's refusal, not a 404, in the ingress check's first phase).
 */
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Manifest } from '../../k8s/resources.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import { deploymentState, readyEndpoints } from '../../readiness/probes.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok } from '../../readiness/readiness-result.ts';
import type { IngressAddress, IngressProfile, IngressSource, RouteRequest } from '../ingress-profile.ts';
import type { Observation } from '../../wait/wait-for.ts';

const istioTypes = {
  gateway: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', plural: 'gateways', namespaced: true },
  virtualService: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', plural: 'virtualservices', namespaced: true },
} as const;

/** The gateway Service, and the `istio` label of its pods (the Service name without `istio-`: AKS, Helm and istioctl agree). */
export interface IstioGatewayService {
  namespace: string;
  name: string;
}

const podLabel = (svc: IstioGatewayService): string => svc.name.replace(/^istio-/, '');

function serviceAddress(svc: V1Service | undefined): Observation<IngressAddress> {
  if (!svc) return { done: false, observed: 'Service not found' };
  const lb = svc.status?.loadBalancer?.ingress?.[0];
  const host = lb?.ip ?? lb?.hostname;
  const port = (svc.spec?.ports ?? []).find((p) => p.port === 80 || p.name === 'http2')?.port ?? 80;
  if (!host) return { done: false, observed: `status.loadBalancer=${JSON.stringify(svc.status?.loadBalancer ?? {})}` };
  return { done: true, observed: `address=${host}, port=${port}`, value: { host, port, url: port === 80 ? `http://${host}` : `http://${host}:${port}` } };
}

async function gatewayPods(client: ReadinessContext['client'], svc: IstioGatewayService, budgetMs: number): Promise<V1Pod[]> {
  return (await client.list<V1Pod>(resourceTypes.pod, { namespace: svc.namespace, labelSelector: `istio=${podLabel(svc)}` }, { budgetMs })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function readinessLines(ctx: ReadinessContext, svc: IstioGatewayService): Promise<ReadinessLine[]> {
  const hint = ctx.target === 'aks'
    ? 'enable it: `az aks mesh enable-ingress-gateway --ingress-gateway-type external` (or `node scripts/aks-up.mjs --mesh istio`)'
    : `install an ingress gateway (Helm chart istio/gateway as ${svc.name} in ${svc.namespace}), or use --ingress gateway-api`;
  const service = await ctx.client.read<V1Service>({ ...resourceTypes.service, namespace: svc.namespace, name: svc.name }, { budgetMs: ctx.budgetMs });
  if (!service) return [fail('ingress/gateway', `the ingress gateway Service ${svc.namespace}/${svc.name} does not exist`, hint)];
  const ready = await readyEndpoints(ctx.client, svc.namespace, svc.name, ctx.budgetMs);
  const address = serviceAddress(service);
  const lines = [ready
    ? ok('ingress/gateway', `ingress gateway ${svc.namespace}/${svc.name}: ${ready} ready endpoint${ready === 1 ? '' : 's'}`)
    : fail('ingress/gateway', `ingress gateway ${svc.namespace}/${svc.name} has no ready endpoint`, `look at \`kubectl -n ${svc.namespace} get pods -l istio=${podLabel(svc)}\` and their events`)];
  lines.push(address.done ? ok('ingress/address', `its load balancer address: ${address.observed}`) : fail('ingress/address', `ingress gateway Service ${svc.namespace}/${svc.name} has no load balancer address (${address.observed})`, 'the cloud load balancer (or MetalLB on kind) has not assigned one: look at the Service\'s events'));
  const deployments = (await ctx.client.list<V1Deployment>(resourceTypes.deployment, { namespace: svc.namespace, labelSelector: `istio=${podLabel(svc)}` }, { budgetMs: ctx.budgetMs })).items;
  for (const d of deployments) lines.push(ok(`ingress/deployment/${d.metadata?.name ?? '?'}`, `Deployment ${svc.namespace}/${d.metadata?.name ?? '?'}: ${deploymentState(d).text}`));
  return lines;
}

/** The Istio ingress gateway profile for a gateway Service. */
export function istioGatewayIngressProfile(opts: { service: IstioGatewayService }): IngressProfile {
  const svc = opts.service;
  return {
    name: 'istio-gateway',
    title: `Istio ingress gateway ${svc.namespace}/${svc.name} (Gateway + VirtualService)`,
    sourceKind: 'ServiceAccount',
    writes: [istioTypes.gateway, istioTypes.virtualService],
    route: (req: RouteRequest) => ({
      objects: [
        {
          apiVersion: istioTypes.gateway.apiVersion, kind: 'Gateway',
          metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
          spec: { selector: { istio: podLabel(svc) }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [req.host] }] },
        },
        {
          apiVersion: istioTypes.virtualService.apiVersion, kind: 'VirtualService',
          metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
          spec: { hosts: [req.host], gateways: [req.name], http: [{ route: [{ destination: { host: `${req.service}.${req.namespace}.svc.cluster.local`, port: { number: req.port } } }] }] },
        },
      ] satisfies Manifest[],
      // Istio's Gateway and VirtualService have no status (istio.md §3b): nothing to wait for but the address.
      accepted: [],
      address: { type: resourceTypes.service, namespace: svc.namespace, name: svc.name, description: `Service ${svc.namespace}/${svc.name} (the ingress gateway) to have a load balancer address`, verdict: serviceAddress },
    }),
    async source(client, _req, budgetMs): Promise<IngressSource> {
      const sa = (await gatewayPods(client, svc, budgetMs))[0]?.spec?.serviceAccountName;
      if (!sa) throw new Error(`no running pod of the ingress gateway ${svc.namespace}/${svc.name} (label istio=${podLabel(svc)}) to read its ServiceAccount from`);
      return { kind: 'ServiceAccount', namespace: svc.namespace, name: sa };
    },
    readiness: () => [{ id: 'ingress', title: `Ingress: Istio gateway ${svc.namespace}/${svc.name}`, checkers: [{ id: 'ingress/istio-gateway', description: 'the Istio ingress gateway', fatal: true, check: (ctx) => readinessLines(ctx, svc) }] }],
    access: () => [
      { verbs: ['get', 'list'], group: '', resource: 'pods', namespace: svc.namespace, why: 'read the ingress gateway\'s identity from its pods' },
      { verbs: ['get'], group: '', resource: 'services', namespace: svc.namespace, why: 'read the ingress gateway\'s address' },
    ],
  };
}
