/**
 * Application Gateway for Containers (AGC), the AKS guide's ingress since November 2025 (osm.md §5b, docs/aks.md): a
 * Gateway API `Gateway` of the ALB controller's class `azure-alb-external`, bound to an ApplicationLoadBalancer by the
 * `alb.networking.azure.io/alb-namespace` and `alb-name` annotations (ALB-managed deployment), and an HTTPRoute to
 * the backend. The controller's verdict is the Gateway's and the route's status conditions, fresh (observedGeneration);
 * the address is the frontend's FQDN in `gateway.status.addresses`. The gateway runs outside the cluster, in its own
 * delegated subnet of the VNet, so the mesh admits it as an address range, as the mesh's ingress policy names it.
 */
import type { KubernetesObject, V1Condition, V1Deployment } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ResourceType } from '../../k8s/resources.ts';
import { crdLine, deploymentLine } from '../../readiness/probes.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import { gatewayApiCrdLines, gatewayClassLine, gatewayObjects } from '../gateway-api/profile.ts';
import { gatewayAddress, gatewayReady, gatewayTypes, routeAccepted } from '../gateway-api/status.ts';
import type { IngressProfile } from '../ingress-profile.ts';

/** The class the ALB controller creates and serves (ALBExternalGatewayClassName). */
export const agcGatewayClass = 'azure-alb-external';
/** The annotations that bind a Gateway to an ApplicationLoadBalancer (ALB-managed deployment). */
export const albAnnotations = { namespace: 'alb.networking.azure.io/alb-namespace', name: 'alb.networking.azure.io/alb-name' } as const;
/** The quickstart's ApplicationLoadBalancer, which `aks-up --ingress agc` creates. */
export const defaultApplicationLoadBalancer = 'alb-test-infra/alb-test';
const albType: ResourceType = { apiVersion: 'alb.networking.azure.io/v1', kind: 'ApplicationLoadBalancer', plural: 'applicationloadbalancers', namespaced: true };
const listenerPort = 80;
const installHint = 'enable the managed Gateway API and the ALB controller add-on: `node scripts/aks-up.mjs --ingress agc` (az aks update --enable-gateway-api --enable-application-load-balancer)';

/** `ns/name` → parts. */
function albRef(text: string): { namespace: string; name: string } {
  const [namespace = '', name = ''] = text.split('/');
  return { namespace, name };
}

/** The ALB controller: the AKS add-on's Deployment in kube-system, or the Helm chart's in azure-alb-system. */
async function controllerLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const found = (await ctx.client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=alb-controller' }, { budgetMs: ctx.budgetMs })).items;
  const where = found[0]?.metadata?.namespace ?? 'kube-system';
  const { line } = await deploymentLine(ctx.client, { id: 'ingress/alb-controller', namespace: where, name: 'alb-controller', installHint, role: 'it programs Application Gateway for Containers from Gateways and HTTPRoutes' }, ctx.budgetMs);
  return [line];
}

interface AlbObject extends KubernetesObject {
  status?: { conditions?: V1Condition[] };
}

/** The ApplicationLoadBalancer the Gateways bind to: Accepted, and its Azure resource deployed (condition Deployment, reason Ready). */
async function albLines(ctx: ReadinessContext, alb: { namespace: string; name: string }): Promise<ReadinessLine[]> {
  const lines = [await crdLine(ctx.client, {
    id: 'ingress/crds/applicationloadbalancers', name: 'applicationloadbalancers.alb.networking.azure.io', version: 'v1', installHint,
    versionHint: 'upgrade the ALB controller (its CRDs serve alb.networking.azure.io/v1)',
  }, ctx.budgetMs)];
  const obj = await ctx.client.read<AlbObject>({ ...albType, ...alb }, { budgetMs: ctx.budgetMs }).catch(() => undefined);
  const id = 'ingress/application-load-balancer';
  if (!obj) {
    lines.push(fail(id, `ApplicationLoadBalancer ${alb.namespace}/${alb.name} not found: the Gateways the run creates bind to it`,
      `create it with the AGC subnet's association (node scripts/aks-up.mjs --ingress agc does), or name yours with applicationLoadBalancer: <ns>/<name> (--application-load-balancer)`));
    return lines;
  }
  const cond = (type: string) => obj.status?.conditions?.find((c) => c.type === type);
  const deployed = cond('Deployment');
  const accepted = cond('Accepted');
  if (accepted?.status === 'False') lines.push(fail(id, `ApplicationLoadBalancer ${alb.namespace}/${alb.name} is not accepted: ${accepted.reason ?? ''}: ${accepted.message ?? ''}`, 'fix its spec.associations (the AGC subnet, delegated to Microsoft.ServiceNetworking/trafficControllers)'));
  else if (deployed?.status === 'True' && deployed.reason === 'Ready') lines.push(ok(id, `ApplicationLoadBalancer ${alb.namespace}/${alb.name} is deployed (${deployed.message ?? 'Ready'})`));
  else lines.push(warn(id, `ApplicationLoadBalancer ${alb.namespace}/${alb.name} is not deployed yet (${deployed ? `${deployed.reason ?? ''}: ${deployed.message ?? ''}` : 'no Deployment condition'})`, 'its Azure resource takes minutes to deploy: wait for `kubectl wait --for=condition=Deployment applicationloadbalancer/<name> -n <ns>`'));
  return lines;
}

/** The AGC profile; `sourceCidr` is the address range the mesh must admit (the guide's 10.0.0.0/8). */
export function agcIngressProfile(opts: { sourceCidr: string; applicationLoadBalancer: string | undefined }): IngressProfile {
  const alb = albRef(opts.applicationLoadBalancer ?? defaultApplicationLoadBalancer);
  return {
    name: 'agc',
    title: 'Application Gateway for Containers',
    sourceKind: 'IPRange',
    // UNCONFIRMED which status AGC answers when a backend resets the connection (docs/aks.md): 502 as the Application
    // Gateway does, or 503 as an Envoy-based proxy does.
    backendResetStatuses: [502, 503],
    writes: [gatewayTypes.gateway, gatewayTypes.httpRoute],
    route: (req) => ({
      objects: gatewayObjects(req, agcGatewayClass, { [albAnnotations.namespace]: alb.namespace, [albAnnotations.name]: alb.name }),
      accepted: [
        { type: gatewayTypes.gateway, namespace: req.namespace, name: req.name, description: `Gateway ${req.namespace}/${req.name} to be Accepted and Programmed, with its listeners`, verdict: gatewayReady },
        { type: gatewayTypes.httpRoute, namespace: req.namespace, name: req.name, description: `HTTPRoute ${req.namespace}/${req.name} to be Accepted with its references resolved`, verdict: routeAccepted({ name: req.name, namespace: req.namespace }) },
      ],
      address: { type: gatewayTypes.gateway, namespace: req.namespace, name: req.name, description: `Gateway ${req.namespace}/${req.name} to have its frontend's FQDN in status.addresses`, verdict: gatewayAddress(listenerPort) },
    }),
    source: () => Promise.resolve({ kind: 'IPRange', cidr: opts.sourceCidr }),
    readiness: () => [{
      id: 'ingress', title: 'Ingress: Application Gateway for Containers', checkers: [
        { id: 'ingress/gateway-api', description: 'the Gateway API CRDs and the GatewayClass azure-alb-external', fatal: true,
          check: async (ctx) => [...await gatewayApiCrdLines(ctx, installHint), await gatewayClassLine(ctx, agcGatewayClass, `the ALB controller creates it when it starts: ${installHint}`)] },
        { id: 'ingress/alb-controller', description: 'the ALB controller', fatal: true, check: controllerLines },
        { id: 'ingress/application-load-balancer', description: `the ApplicationLoadBalancer ${alb.namespace}/${alb.name}`, fatal: true, check: (ctx) => albLines(ctx, alb) },
      ],
    }],
    access: () => [{ verbs: ['get'], group: 'alb.networking.azure.io', resource: 'applicationloadbalancers', namespace: alb.namespace, why: 'read the ApplicationLoadBalancer the Gateways bind to' }],
  };
}
