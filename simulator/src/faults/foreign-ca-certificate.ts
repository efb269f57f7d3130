/**
 * Workload certificates come from a CA other than the root the mesh publishes: a second CA with the same subject
 * signs them (OSM: Tresor signs with it while osm-ca-bundle keeps the published root; Istio: istiod signs with it and
 * hands its root to the proxies over SDS, so mTLS between proxies still works, while istio-ca-root-cert and
 * istio-ca-secret keep the published root). Only a check that compares a sidecar's certificate with the published
 * root notices.
 */
import { defineFault } from './fault.ts';

export const foreignCaCertificate = defineFault({
  name: 'foreign-ca-certificate',
  outcome: 'fail',
  description: 'sidecars present certificates signed by a foreign CA with the same name as OSM\'s root: osm-ca-bundle keeps the published root, which does not verify them',
  descriptions: {
    'istio-kind': 'istiod signs workload certificates with a foreign CA (the proxies trust it over SDS, so mTLS still works) while istio-ca-root-cert keeps the published root, which does not verify them',
    'istio-aks': 'istiod signs workload certificates with a foreign CA (the proxies trust it over SDS, so mTLS still works) while istio-ca-root-cert keeps the published root, which does not verify them',
  },
  hooks: () => ({ mesh: { foreignWorkloadCa: true } }),
});
