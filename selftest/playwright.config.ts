import { join, resolve } from 'node:path';
import { defineConfig } from '@playwright/test';

// Self-tests run the real conformance suite (through the CLI) against the simulator, once per named fault,
// and assert on exit codes, reports and attachments. Each run starts its own simulator, so two can go at once.
// The report dir is absolute: Playwright resolves relative paths against this file's folder, the specs against the cwd.
const reportDir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? join(import.meta.dirname, '..', 'reports', 'selftest'));

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: `${reportDir}/test-output`,
  forbidOnly: !!process.env.CI,
  fullyParallel: true,
  // Each conformance run is a simulator, a runner and a worker (I/O-bound waits): two at once fit 2 cores.
  workers: 2,
  retries: 0,
  // Above fault-matrix.spec.ts's bound on one conformance run (150 s), so a hung run fails with its own message.
  timeout: 200_000,
  reporter: [['list'], ['json', { outputFile: `${reportDir}/results.json` }]],
});
