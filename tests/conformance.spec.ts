// Requirement (issue 2, core conformance flow): a namespace onboarded into the mesh runs httpbin with the
// sidecar injected, the mesh-aware ingress routes GET /get to it through the sidecar, and (issue 3) the sidecar's
// metrics are scraped.
import { test } from '../fixtures/index.ts';
import { httpbinInjectedCheck } from './checks/httpbin-injected.ts';
import { ingressRoutesCheck } from './checks/ingress-routes.ts';
import { metricsCheck } from './checks/metrics.ts';
import { namespaceOnboardedCheck } from './checks/namespace-onboarded.ts';

test.describe('mesh conformance', () => {
  // The checks build on each other and share the worker's namespace: a failure skips the rest, and the
  // summary reporter names the check each skipped one depended on.
  test.describe.configure({ mode: 'serial' });
  namespaceOnboardedCheck();
  httpbinInjectedCheck();
  ingressRoutesCheck();
  metricsCheck();
});
