// Requirement: the AKS guide's flow holds on the cluster's mesh, whichever it is: a namespace onboarded into the
// mesh runs httpbin with the sidecar injected, the ingress reaches it through the sidecar only once the mesh's
// ingress policy admits it, and the mesh's metrics count that traffic (core); and the guide's other sections hold
// where the cluster has them (extended). The checks, their order and their labels come from the catalogue
// (harness/checks/catalogue.ts); their steps from tests/checks/.
import type { CheckBody, CheckId } from '../fixtures/index.ts';
import { checkDetails, checkLevels, levelTitles, orderedChecks, test } from '../fixtures/index.ts';
import { checkBodies } from './checks/index.ts';

/** Every check in the catalogue has a body: a missing one is a type error here. */
const bodies: Record<CheckId, CheckBody> = checkBodies;

test.describe('mesh conformance', () => {
  // The checks build on each other and share the worker's namespace: a failure skips the rest, and the
  // summary reporter names the check each skipped one depended on. Core checks run first, then the extended ones;
  // the two groups keep them apart in the JUnit, JSON and HTML reports.
  test.describe.configure({ mode: 'serial' });
  for (const level of checkLevels) {
    const checks = orderedChecks().filter((c) => c.level === level);
    if (!checks.length) continue;
    test.describe(levelTitles[level].toLowerCase(), () => {
      for (const check of checks) {
        test(`${check.id}: ${check.title}`, checkDetails(check), bodies[check.id as CheckId]);
      }
    });
  }
});
