/** Sidecars and gateways ignore DENY policies and allow-nothing (ALLOW without rules): requests pass where policy denies. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const authzDenyIgnored = defineFault({
  name: 'authz-deny-ignored',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'proxies ignore DENY AuthorizationPolicies and allow-nothing ones (spec: {}), so requests the policy denies reach the app (200 instead of 403)',
  hooks: () => ({ mesh: { authzIgnoresDeny: true } }),
});
