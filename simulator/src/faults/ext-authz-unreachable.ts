/**
 * The authorization service does not answer: OPA-Envoy's pod runs and is Ready, but its ext_authz gRPC server never
 * started, so connections to opa.opa:9191 are refused. With `failureModeAllow: false` (what the check sets, and OSM's
 * walkthrough) every inbound request is rejected with Envoy's status_on_error, 403: the external-authorization check
 * fails on the request the policy allows. The kind flavor only (the one with OPA).
 */
import { defineFault } from './fault.ts';

export const extAuthzUnreachable = defineFault({
  name: 'ext-authz-unreachable',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'OPA-Envoy runs without serving its ext_authz port 9191: with failureModeAllow false the sidecars reject every inbound request with 403',
  hooks: () => ({ mesh: { extAuthzServerDown: true } }),
});
