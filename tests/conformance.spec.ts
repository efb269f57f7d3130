// Requirement: the AKS guide's flow holds on the cluster's mesh, whichever it is: a namespace onboarded into the
// mesh runs httpbin with the sidecar injected, the ingress reaches it through the sidecar only once the mesh's
// ingress policy admits it, and the mesh's metrics count that traffic (core); and the guide's other sections hold
// where the cluster has them (extended). The checks, their order and their labels come from the catalogue
// (harness/checks/catalogue.ts); their steps from tests/checks/.
import type { CheckBody, CheckId } from '../fixtures/index.ts';
import { checkDetails, checkLevels, flowBatches, flowChecksSelected, flowCopiesAnnotation, flowsTest, flowWorkers, levelTitles, orderedChecks, runFlows, runConfig, test } from '../fixtures/index.ts';
import { checkBodies } from './checks/index.ts';

/** Every check in the catalogue has a body: a missing one is a type error here. */
const bodies: Record<CheckId, CheckBody> = checkBodies;

// Copies of the flow (`--namespaces N`): each worker runs its share as concurrent flows in one test (fixtures/flows.ts);
// the summary and the ConformanceReport still list every check of every copy. A listing shows the checks.
const batches = runConfig && !process.argv.includes('--list') ? flowBatches(runConfig.parallelism, flowWorkers(runConfig.parallelism)) : undefined;

if (batches) {
  test.describe('mesh conformance', () => {
    test.describe.configure({ mode: 'parallel' });
    const selected = flowChecksSelected();
    const checks = checkLevels.flatMap((level) => orderedChecks().filter((c) => c.level === level && (!selected || selected.has(c.id))))
      .map((definition) => ({ definition, body: bodies[definition.id as CheckId] }));
    for (const copies of batches) {
      flowsTest(`copies ${copies.join(', ')} as concurrent flows`, { annotation: [{ type: flowCopiesAnnotation, description: copies.join(',') }] },
        // Playwright sets up the fixtures a test names: every fixture a check's body may use, for each flow's checks.
        async ({ target, conformanceConfig, runId, cluster, mesh, ingressController, http, metricsCollection, clusterChanges, flowNamespaces }, testInfo) =>
          runFlows({ target, conformanceConfig, runId, cluster, mesh, ingressController, http, metricsCollection, clusterChanges, flowNamespaces }, testInfo, checks));
    }
  });
} else {
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
}
