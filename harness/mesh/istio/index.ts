/** The Istio profile's registration: defaults per cluster flavor, how to find istiod and its revisions, its leftovers. */
import type { V1Deployment } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import type { MeshProfileFactory } from '../mesh-factory.ts';
import { istioKeys } from './keys.ts';
import { istioLeftovers } from './leftovers.ts';
import { istioMtlsEvidence } from './migrate/mtls-evidence.ts';
import { istioPlan, istioTranslationFaults } from './migrate/translate.ts';
import { istioProfile } from './profile.ts';

export const istio = {
  name: 'istio',
  title: 'Istio',
  // kind: upstream Istio installed with Helm, revisioned, in istio-system, with Gateway API ingress; aks: the add-on in
  // aks-istio-system with its external ingress gateway (istio.md §1.3, §3b, §8).
  defaults: (flavor) => flavor === 'aks'
    ? { namespace: 'aks-istio-system', meshName: '', ingress: 'istio-gateway' }
    : { namespace: 'istio-system', meshName: '', ingress: 'gateway-api' },
  installHint: (flavor) => flavor === 'aks'
    ? 'enable the Istio add-on: `az aks mesh enable --revision <asm-X-Y>` (or `node scripts/aks-up.mjs --mesh istio`)'
    : 'install Istio: `node scripts/kind-up.mjs --mesh istio`',
  async detect(client, budgetMs) {
    const found = (await client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=istiod' }, { budgetMs })).items;
    const namespaces = [...new Set(found.map((d) => d.metadata?.namespace ?? '').filter(Boolean))];
    const revisions = [...new Set(found.map((d) => d.metadata?.labels?.[istioKeys.rev]).filter((r): r is string => !!r && r !== 'default'))];
    return { namespaces, revisions, found: found.map((d) => `${d.metadata?.name ?? 'istiod'} in ${d.metadata?.namespace ?? '?'}`).join(', ') };
  },
  leftovers: istioLeftovers,
  create: istioProfile,
  migration: { plan: istioPlan, translationFaults: istioTranslationFaults, mtlsEvidence: istioMtlsEvidence },
} as const satisfies MeshProfileFactory;
