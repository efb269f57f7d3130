/** No ALLOW rule ever matches: a workload any ALLOW policy selects denies everything, the admitted principal included. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const authzAllowIgnored = defineFault({
  name: 'authz-allow-ignored',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'proxies ignore ALLOW rules, so a workload any ALLOW AuthorizationPolicy selects answers 403 RBAC: access denied even to the principal the rule admits',
  hooks: () => ({ mesh: { authzIgnoresAllowRules: true } }),
});
