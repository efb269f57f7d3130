/**
 * Sidecars admit an https IngressBackend's `AuthenticatedPrincipal` only under another name than the policy gives:
 * ingress-nginx's client certificate (the SAN MeshConfig `certificate.ingressGateway` asked for) verifies, but the
 * RBAC filter finds no principal it admits and answers 403 (osm.md §5a: a wrong principal gives 403 Forbidden).
 */
import { defineFault } from './fault.ts';

export const ingressMtlsWrongPrincipal = defineFault({
  name: 'ingress-mtls-wrong-principal',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'sidecars expect another principal than the IngressBackend\'s AuthenticatedPrincipal source, so mTLS from ingress-nginx gets 403',
  hooks: () => ({ mesh: { ingressPrincipalMismatch: true } }),
});
