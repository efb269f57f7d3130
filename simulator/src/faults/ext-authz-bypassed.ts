/**
 * The sidecars never call the external authorization service, though MeshConfig `inboundExternalAuthorization`
 * enables it (as if osm-controller left the ext_authz filter out of the inbound and ingress filter chains): a request
 * the policy denies reaches the app and gets 200. The external-authorization check fails on its deny probe. The kind
 * flavor only: it is the one with an authorization service (OPA-Envoy, as `kind-up --with opa` installs it).
 */
import { defineFault } from './fault.ts';

export const extAuthzBypassed = defineFault({
  name: 'ext-authz-bypassed',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'sidecars skip the ext_authz filter although MeshConfig enables inbound external authorization: a request the OPA policy denies gets 200',
  hooks: () => ({ mesh: { extAuthzBypassed: true } }),
});
