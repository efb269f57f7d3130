/**
 * The Application Gateway Ingress Controller add-on (the guide's AKS path before AGC, osm.md §5b): an Ingress with
 * the `azure/application-gateway` class annotation; the gateway sits outside the cluster, so the mesh must trust
 * its subnet as an address range.
 */
import type { IngressProfile } from '../ingress-profile.ts';
import { ingressAddressVerdict, ingressObject } from '../ingress-resource.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail } from '../../readiness/readiness-result.ts';
import { deploymentLine } from '../../readiness/probes.ts';

const deployment = { namespace: 'kube-system', name: 'ingress-appgw-deployment' } as const;

async function controllerLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const hint = 'enable the AGIC add-on: `az aks enable-addons --addons ingress-appgw --appgw-name <gateway> --appgw-subnet-cidr 10.225.0.0/16 -g <group> -n <cluster>` (or `node scripts/aks-up.mjs`), or choose the ingress profile that matches the cluster';
  const { line, deployment: d } = await deploymentLine(ctx.client, { id: 'ingress/agic', ...deployment, installHint: hint, role: 'it programs the Application Gateway' }, ctx.budgetMs);
  if (!d) return [fail('ingress/agic', `the Application Gateway Ingress Controller is not installed (no Deployment ${deployment.namespace}/${deployment.name})`, hint)];
  return [line];
}

/** The AGIC profile; `sourceCidr` is the Application Gateway subnet the mesh must admit. */
export function agicIngressProfile(opts: { sourceCidr: string }): IngressProfile {
  return {
    name: 'agic',
    title: 'Application Gateway Ingress Controller',
    sourceKind: 'IPRange',
    addressBeforeRoute: true,
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
      ],
    }],
    access: () => [],
  };
}
