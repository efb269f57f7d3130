/**
 * What Istio leaves behind when it is no longer the cluster's mesh: injector webhooks whose istiod is gone (they
 * keep `failurePolicy: Fail` and refuse pod creation in the namespaces they select) and the namespace labels that
 * selected a revision.
 */
import type { V1MutatingWebhookConfiguration, V1Namespace } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import { readyEndpoints } from '../../readiness/probes.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import { istioKeys } from './keys.ts';

async function webhooks(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1MutatingWebhookConfiguration>({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' }, { labelSelector: 'app=sidecar-injector' }, { budgetMs: ctx.budgetMs })).items;
  const lines: ReadinessLine[] = [];
  for (const m of all) {
    const svc = m.webhooks?.[0]?.clientConfig.service;
    if (!svc) continue;
    const name = m.metadata?.name ?? '?';
    const ready = await readyEndpoints(ctx.client, svc.namespace, svc.name, ctx.budgetMs);
    if (!ready) lines.push(fail(`istio-leftovers/${name}`, `MutatingWebhookConfiguration ${name} of Istio calls ${svc.namespace}/${svc.name}, which has no ready endpoint, with failurePolicy Fail: pods in the namespaces it selects cannot be created`, `delete it if Istio is gone: \`kubectl delete mutatingwebhookconfiguration ${name}\``));
  }
  return lines.length ? lines : [ok('istio-leftovers/webhooks', 'no orphaned Istio injector webhook')];
}

async function namespaceLabels(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items;
  const marked = all.filter((ns) => ns.metadata?.labels?.[istioKeys.rev] !== undefined || ns.metadata?.labels?.[istioKeys.injection] !== undefined);
  if (!marked.length) return [ok('istio-leftovers/namespaces', 'no namespace carries Istio labels')];
  return marked.map((ns) => warn(`istio-leftovers/namespaces/${ns.metadata?.name ?? '?'}`, `${ns.metadata?.name ?? '?'} still carries Istio labels`,
    `remove them if Istio is gone: \`kubectl label namespace ${ns.metadata?.name ?? '?'} ${istioKeys.rev}- ${istioKeys.injection}-\``));
}

export function istioLeftovers(): ReadinessCategory {
  return {
    id: 'istio-leftovers', title: 'Leftovers of Istio', checkers: [
      { id: 'istio-leftovers/webhooks', description: 'Istio injector webhooks without istiod', fatal: false, check: webhooks },
      { id: 'istio-leftovers/namespaces', description: 'Istio labels on namespaces', fatal: false, check: namespaceLabels },
    ],
  };
}
