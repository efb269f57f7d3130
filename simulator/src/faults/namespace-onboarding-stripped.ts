/**
 * A policy engine in the cluster (a Kyverno or Gatekeeper mutate rule, as platform teams write to keep the mesh
 * under their control) strips the mesh's onboarding labels and annotations from every namespace update: the write
 * succeeds, and the namespace never reads back as onboarded.
 */
import { defineFault } from './fault.ts';

/** The keys the meshes onboard a namespace with (OSM's `openservicemesh.io/*`; Istio's `istio.io/rev`, `istio-injection`). */
const onboardingKey = (key: string): boolean => key.startsWith('openservicemesh.io/') || key === 'istio.io/rev' || key === 'istio-injection';

function strip(map: Record<string, string> | undefined): void {
  for (const key of Object.keys(map ?? {})) if (onboardingKey(key)) delete map![key];
}

export const namespaceOnboardingStripped = defineFault({
  name: 'namespace-onboarding-stripped',
  outcome: 'fail',
  description: 'a cluster policy strips the mesh\'s onboarding labels and annotations from namespace updates, so no namespace reads back as onboarded',
  hooks: () => ({
    cluster: {
      admissionPolicies: [{
        name: 'strip-mesh-onboarding.policy.example',
        mutate: (req) => {
          if (req.resource.kind !== 'Namespace' || req.operation !== 'UPDATE') return;
          const obj = req.object;
          strip(obj.metadata.labels);
          strip(obj.metadata.annotations);
        },
      }],
    },
  }),
});
