/**
 * The Application Gateway Ingress Controller add-on (the guide's AKS path before AGC, osm.md §5b): an Ingress with
 * the `azure/application-gateway` class annotation; the gateway sits outside the cluster, so the mesh must trust
 * its subnet as an address range.
 */
import type { V1Ingress } from '@kubernetes/client-node';
import type { IngressProfile } from '../ingress-profile.ts';
import { ingressAddressVerdict, ingressObject } from '../ingress-resource.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok } from '../../readiness/readiness-result.ts';
import { deploymentLine } from '../../readiness/probes.ts';

const deployment = { namespace: 'kube-system', name: 'ingress-appgw-deployment' } as const;

async function controllerLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const hint = 'enable the AGIC add-on: `az aks enable-addons --addons ingress-appgw --appgw-name <gateway> --appgw-subnet-cidr 10.225.0.0/16 -g <group> -n <cluster>` (or `node scripts/aks-up.mjs`), or choose the ingress profile that matches the cluster';
  const { line, deployment: d } = await deploymentLine(ctx.client, { id: 'ingress/agic', ...deployment, installHint: hint, role: 'it programs the Application Gateway' }, ctx.budgetMs);
  if (!d) return [fail('ingress/agic', `the Application Gateway Ingress Controller is not installed (no Deployment ${deployment.namespace}/${deployment.name})`, hint)];
  return [line];
}

/**
 * The guide's limit, in words: AGIC speaks only HTTP to backends (AKS guide, "Ingress": "AGIC only works for HTTP
 * backends … won't be used for other backends, such as HTTPS and mTLS"; "You can't configure AGIC for HTTPS ingress").
 */
export const agicHttpOnly = 'AGIC works only with HTTP backends and cannot be configured for HTTPS or mTLS to them (AKS guide, "Ingress"): '
  + 'use Application Gateway for Containers (ingress profile agc) or ingress-nginx with mTLS (ingress profile nginx)';

/** An Ingress AGIC serves: the `azure/application-gateway` class annotation, or the add-on's IngressClass. */
function servedByAgic(ing: V1Ingress): boolean {
  const cls = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.['kubernetes.io/ingress.class'];
  return cls === 'azure/application-gateway' || cls === 'azure-application-gateway';
}

/** Every backend of an AGIC Ingress whose mesh policy expects TLS from the ingress: those requests fail. */
async function tlsBackendLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const policies = await ctx.mesh.ingressPolicy.tlsBackends?.(ctx.client, ctx.budgetMs);
  if (!policies) return [];
  const ingresses = (await ctx.client.list<V1Ingress>(resourceTypes.ingress, {}, { budgetMs: ctx.budgetMs })).items.filter(servedByAgic);
  const lines: ReadinessLine[] = [];
  for (const ing of ingresses) {
    const ns = ing.metadata?.namespace ?? '';
    const services = new Set([ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))].map((b) => b?.service?.name).filter((n): n is string => !!n));
    for (const p of policies.filter((x) => x.namespace === ns && services.has(x.service))) {
      lines.push(fail(`ingress/agic-tls-backends/${ns}/${ing.metadata?.name ?? ''}`,
        `Ingress ${ns}/${ing.metadata?.name ?? ''} (AGIC) routes to Service ${ns}/${p.service}, whose ${p.policy} expects TLS from the ingress (${p.why}): AGIC sends plain HTTP, so these requests fail`,
        `${agicHttpOnly}; or admit the backend over HTTP (protocol: http, no tls)`));
    }
  }
  if (!lines.length) lines.push(ok('ingress/agic-tls-backends', `no AGIC Ingress routes to a backend that expects TLS (${ingresses.length} AGIC Ingress${ingresses.length === 1 ? '' : 'es'}, ${policies.length} TLS backend polic${policies.length === 1 ? 'y' : 'ies'})`));
  return lines;
}

/** The AGIC profile; `sourceCidr` is the Application Gateway subnet the mesh must admit. */
export function agicIngressProfile(opts: { sourceCidr: string }): IngressProfile {
  return {
    name: 'agic',
    title: 'Application Gateway Ingress Controller',
    sourceKind: 'IPRange',
    addressBeforeRoute: true,
    refusedFeatures: { 'ingress-mtls': agicHttpOnly },
    writes: [resourceTypes.ingress],
    route: (req) => ({
      objects: [ingressObject(req, { annotations: { 'kubernetes.io/ingress.class': 'azure/application-gateway' } })],
      accepted: [],
      address: ingressAddressVerdict(req),
    }),
    source: () => Promise.resolve({ kind: 'IPRange', cidr: opts.sourceCidr }),
    readiness: () => [{
      id: 'ingress', title: 'Ingress controller (agic)', checkers: [
        { id: 'ingress/agic', description: 'the Application Gateway Ingress Controller', fatal: true, check: controllerLines },
        { id: 'ingress/agic-tls-backends', description: 'AGIC Ingresses in front of backends that expect TLS', fatal: false, check: tlsBackendLines },
      ],
    }],
    access: () => [],
  };
}
