import { defineConfig } from '@playwright/test';
import type { ConfigFixtures } from './fixtures/config.ts';
import { budgets, runConfig } from './fixtures/config.ts';
import { runPaths } from './harness/config/run-config.ts';
import { watchParent } from './fixtures/parent-watch.ts';

// The CLI (`mesh-conformance run`) resolves and validates the configuration once and names the run's config file
// in MESH_CONFORMANCE_RUN_CONFIG; the runner, every worker and the reporters read it (fixtures/config.ts).
const paths = runPaths(runConfig?.reportDir ?? 'reports', runConfig?.runId ?? 'none');
// The longest check (ingress) runs two HTTP expectations and up to three status waits after a rollout; the test
// budget exceeds their sum so a wait always fails with its own message before the test times out.
const testTimeout = 2 * budgets.http + 3 * budgets.assert + budgets.rollout + 60_000;
// The runner stops when its CLI is gone (even SIGKILLed), leaving the teardown of each worker's namespace time to run.
watchParent(budgets.cleanup + 4 * budgets.apply + 60_000);

export default defineConfig<object, ConfigFixtures>({
  testDir: './tests',
  testMatch: '**/*.spec.ts',
  outputDir: paths.testOutput,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The checks share one namespace per worker and run in order; more workers only help with --repeat-each.
  workers: 1,
  fullyParallel: false,
  timeout: testTimeout,
  expect: { timeout: budgets.assert },
  metadata: { runId: runConfig?.runId, target: runConfig?.target, flavor: runConfig?.flavor, mesh: runConfig?.mesh },
  reporter: [
    ['list'],
    ['junit', { outputFile: paths.junit, includeProjectInTestName: true }],
    ['json', { outputFile: paths.results }],
    ['html', { outputFolder: paths.html, open: 'never' }],
    ['allure-playwright', {
      resultsDir: paths.allureResults,
      detail: false,
      // No environmentInfo here: it would overwrite at the end of the run the environment.properties that the
      // `_runEnvironment` worker fixture (fixtures/report.ts) writes with the server and mesh versions.
    }],
    ['./fixtures/summary-reporter.ts', { outputFile: paths.summary }],
    ['./fixtures/conformance-reporter.ts'],
  ],
  projects: [
    { name: 'local', use: { target: 'local' } },
    { name: 'kind', use: { target: 'kind' } },
    { name: 'aks', use: { target: 'aks' } },
  ],
});
