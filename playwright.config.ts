import { defineConfig } from '@playwright/test';
import type { ConfigFixtures } from './fixtures/config.ts';
import { envLayer, resolveConfig } from './harness/config/resolve-config.ts';
import { generateRunId } from './harness/k8s/run-labels.ts';
import { timeouts as defaultTimeouts } from './harness/timeouts.ts';

// The CLI (`mesh-conformance run`) resolves and validates the configuration and passes it in
// MESH_CONFORMANCE_* variables; one run id is fixed here so the runner and every worker share it.
process.env.MESH_CONFORMANCE_RUN_ID ??= generateRunId();
const reportDir = process.env.MESH_CONFORMANCE_REPORT_DIR ?? 'reports';

const budgets = (() => {
  try {
    return resolveConfig([envLayer(process.env)]).timeouts;
  } catch {
    return defaultTimeouts; // the workers report the invalid value with its key; the runner need not.
  }
})();
// The longest check (ingress) runs two HTTP expectations and two status waits after a rollout; the test
// budget exceeds their sum so a wait always fails with its own message before the test times out.
const testTimeout = 2 * budgets.http + 2 * budgets.assert + budgets.rollout + 60_000;

export default defineConfig<object, ConfigFixtures>({
  testDir: './tests',
  testMatch: '**/*.spec.ts',
  outputDir: `${reportDir}/test-output`,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The checks share one namespace per worker and run in order; more workers only help with --repeat-each.
  workers: 1,
  fullyParallel: false,
  timeout: testTimeout,
  expect: { timeout: budgets.assert },
  metadata: { runId: process.env.MESH_CONFORMANCE_RUN_ID, target: process.env.MESH_CONFORMANCE_TARGET, flavor: process.env.MESH_CONFORMANCE_FLAVOR },
  reporter: [
    ['list'],
    ['junit', { outputFile: `${reportDir}/junit.xml`, includeProjectInTestName: true }],
    ['json', { outputFile: `${reportDir}/results.json` }],
    ['html', { outputFolder: `${reportDir}/html`, open: 'never' }],
    ['allure-playwright', {
      resultsDir: `${reportDir}/allure-results`,
      detail: false,
      // No environmentInfo here: it would overwrite at the end of the run the environment.properties that the
      // `_runEnvironment` worker fixture (fixtures/report.ts) writes with the server and mesh versions.
    }],
    ['./fixtures/summary-reporter.ts', { outputFile: `${reportDir}/summary.txt` }],
  ],
  projects: [
    { name: 'local', use: { target: 'local' } },
    { name: 'kind', use: { target: 'kind' } },
    { name: 'aks', use: { target: 'aks' } },
  ],
});
