/**
 * What OSM leaves behind when it is no longer the cluster's mesh (the AKS migration guidance, osm.md §9): its admission
 * webhooks, which keep `failurePolicy: Fail` and so refuse pod creation once their backend is gone; the namespace
 * labels and annotations that onboarded namespaces; its CRDs and SMI's.
 */
import type { V1CustomResourceDefinition, V1Deployment, V1Namespace } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import { readyEndpoints, webhooksCalling } from '../../readiness/probes.ts';
import { osmKeys } from './keys.ts';

/** The OSM services its webhooks call. */
const webhookServices = [
  { kind: 'MutatingWebhookConfiguration', service: 'osm-injector', what: 'pod admission (sidecar injection)' },
  { kind: 'ValidatingWebhookConfiguration', service: 'osm-validator', what: 'admission of its policy objects' },
] as const;

/** The namespaces OSM's control plane ran in: where its Deployments are, or the usual ones. */
async function osmNamespaces(ctx: ReadinessContext): Promise<string[]> {
  const found = (await ctx.client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=osm-controller' }, { budgetMs: ctx.budgetMs })).items.map((d) => d.metadata?.namespace ?? '');
  return [...new Set([...found, 'kube-system', 'osm-system'])].filter(Boolean);
}

async function webhooks(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const lines: ReadinessLine[] = [];
  for (const ns of await osmNamespaces(ctx)) {
    for (const w of webhookServices) {
      for (const config of await webhooksCalling(ctx.client, w.kind, { namespace: ns, name: w.service }, ctx.budgetMs)) {
        const name = config.metadata?.name ?? '?';
        const ready = await readyEndpoints(ctx.client, ns, w.service, ctx.budgetMs);
        const policy = (config.webhooks ?? []).map((h) => h.failurePolicy ?? 'Fail').includes('Fail') ? 'Fail' : 'Ignore';
        lines.push(ready
          ? warn(`osm-leftovers/${name}`, `${w.kind} ${name} of OSM still calls ${ns}/${w.service} (${ready} ready endpoint${ready === 1 ? '' : 's'})`, 'remove OSM before the cutover: `az aks disable-addons --addons open-service-mesh`, then delete its webhooks')
          : policy === 'Fail'
            ? fail(`osm-leftovers/${name}`, `${w.kind} ${name} of OSM calls ${ns}/${w.service}, which is gone, with failurePolicy Fail: it blocks ${w.what}`, `delete it: \`kubectl delete ${w.kind.toLowerCase()} ${name}\` (the AKS migration guide's step 3)`)
            : warn(`osm-leftovers/${name}`, `${w.kind} ${name} of OSM calls ${ns}/${w.service}, which is gone (failurePolicy Ignore)`, `delete it: \`kubectl delete ${w.kind.toLowerCase()} ${name}\``));
      }
    }
  }
  return lines.length ? lines : [ok('osm-leftovers/webhooks', 'no OSM admission webhook left')];
}

async function namespaceLabels(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items;
  const marked = all.filter((ns) => Object.keys({ ...ns.metadata?.labels, ...ns.metadata?.annotations }).some((k) => k.startsWith('openservicemesh.io/')));
  if (!marked.length) return [ok('osm-leftovers/namespaces', 'no namespace carries OSM labels or annotations')];
  return marked.map((ns) => {
    const name = ns.metadata?.name ?? '?';
    return warn(`osm-leftovers/namespaces/${name}`, `${name} still carries OSM metadata (${Object.keys({ ...ns.metadata?.labels, ...ns.metadata?.annotations }).filter((k) => k.startsWith('openservicemesh.io/')).join(', ')})`,
      `remove it: \`kubectl label namespace ${name} ${osmKeys.monitoredBy}- ; kubectl annotate namespace ${name} ${osmKeys.sidecarInjection}- ${osmKeys.metrics}-\``);
  });
}

async function crds(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1CustomResourceDefinition>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, {}, { budgetMs: ctx.budgetMs })).items;
  const left = all.map((c) => c.metadata?.name ?? '').filter((n) => n.endsWith('.openservicemesh.io') || n.endsWith('.smi-spec.io'));
  return left.length
    ? [warn('osm-leftovers/crds', `${left.length} OSM and SMI CRDs are still installed: ${left.join(', ')}`, 'after the cutover, delete them (the AKS migration guide\'s last step): `kubectl delete crd <name>`; export the SMI objects first if you still need them')]
    : [ok('osm-leftovers/crds', 'no OSM or SMI CRD left')];
}

/** OSM's leftovers, as a readiness category. */
export function osmLeftovers(): ReadinessCategory {
  return {
    id: 'osm-leftovers', title: 'Leftovers of Open Service Mesh (OSM)', checkers: [
      { id: 'osm-leftovers/webhooks', description: 'OSM admission webhooks left behind', fatal: false, check: webhooks },
      { id: 'osm-leftovers/namespaces', description: 'OSM metadata on namespaces', fatal: false, check: namespaceLabels },
      { id: 'osm-leftovers/crds', description: 'OSM and SMI CRDs', fatal: false, check: crds },
    ],
  };
}
