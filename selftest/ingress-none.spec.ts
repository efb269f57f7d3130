// Requirement (issue 5, configuration): the ingress profile `none` runs the checks that need no ingress
// controller and skips the ingress check, and the metrics check that counts its traffic, saying why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { budgetEnv, runCli, selftestBudgets, stripAnsi } from './conformance-run.ts';

test('ingress profile none: namespace and httpbin pass, ingress and metrics are skipped with their reasons', async ({}, testInfo) => {
  const reportDir = testInfo.outputPath('run');
  const run = await runCli(['run', '--report-dir', reportDir], {
    env: { ...budgetEnv(selftestBudgets), MESH_CONFORMANCE_INGRESS: 'none' },
    timeoutMs: 150_000,
  });
  expect(run.code, stripAnsi(run.output)).toBe(0);
  const summary = readFileSync(join(reportDir, 'summary.txt'), 'utf8');
  expect(summary).toMatch(/✔ namespace: /);
  expect(summary).toMatch(/✔ httpbin: /);
  expect(summary).toMatch(/- ingress: skipped, ingress profile none: the cluster has no ingress controller/);
  expect(summary).toMatch(/- metrics: skipped, depends on ingress, which was skipped/);
});
