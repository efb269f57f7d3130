/**
 * osm-controller never issues the ingress gateway certificate MeshConfig `certificate.ingressGateway` asks for: the
 * Secret it names is never written, so ingress-nginx has no client certificate for an https IngressBackend and its
 * sidecar refuses the handshake (502). Only the extended check ingress-mtls sets that MeshConfig field.
 */
import { defineFault } from './fault.ts';

export const ingressGatewayCertNotIssued = defineFault({
  name: 'ingress-gateway-cert-not-issued',
  outcome: 'fail',
  // ingress-nginx on the kind flavor is the ingress that can speak mTLS to the sidecars (AGIC on aks cannot).
  flavors: ['kind'],
  description: 'osm-controller never writes the ingress gateway certificate Secret that MeshConfig certificate.ingressGateway names',
  hooks: () => ({ mesh: { ingressGatewayCertNotIssued: true } }),
});
