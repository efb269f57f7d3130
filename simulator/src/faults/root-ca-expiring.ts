/** The mesh's root CA expires in 10 days (and every certificate is still valid): `check` warns; a run passes. */
import { defineFault } from './fault.ts';

/** 10 days: under the 30 days at which `check` warns. */
export const expiringRootValidityMs = 10 * 86_400_000;

export const rootCaExpiring = defineFault({
  name: 'root-ca-expiring',
  outcome: 'pass',
  description: 'the mesh CA\'s root (osm-ca-bundle) expires in 10 days: `check` warns (certificates/root-ca); a conformance run still passes',
  descriptions: {
    'istio-kind': 'istiod\'s self-signed root (istio-ca-secret, istio-ca-root-cert) expires in 10 days: `check` warns (certificates/root-ca); a conformance run still passes',
    'istio-aks': 'istiod\'s self-signed root (istio-ca-secret, istio-ca-root-cert) expires in 10 days: `check` warns (certificates/root-ca); a conformance run still passes',
  },
  hooks: () => ({ mesh: { rootCaValidityMs: expiringRootValidityMs } }),
});
