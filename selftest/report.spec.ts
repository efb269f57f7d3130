// Requirement (issue 6, reports): a run leaves JUnit, JSON, Allure results labelled per check with the run's
// environment, and a summary naming each failure's diagnostics; `npm run report` turns the Allure results into
// one HTML file that opens from disk in headless Chromium, shows the run's totals and check names, and keeps
// history across builds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, expect, test } from '@playwright/test';

const root = join(import.meta.dirname, '..');
const chromiumPath = process.env.MESH_CONFORMANCE_CHROMIUM ?? '/usr/bin/chromium';
// toolchain.md: Debian's chromium, headless, no outside traffic, a fresh profile.
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface JsonReport {
  stats: { expected: number; unexpected: number; skipped: number; flaky: number };
  suites: JsonSuite[];
}
interface JsonSuite { suites?: JsonSuite[]; specs: { title: string; tests: { annotations: { type: string; description?: string }[] }[] }[] }
interface AllureResult { name: string; status: string; labels: { name: string; value: string }[] }

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 150_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function specs(suites: JsonSuite[]): JsonSuite['specs'] {
  return suites.flatMap((s) => [...s.specs, ...specs(s.suites ?? [])]);
}

test.describe('reports of a run with a failed check', () => {
  test.describe.configure({ mode: 'serial' });
  let dir = '';
  let first = { code: null as number | null, out: '' };

  test.beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-report-'));
    // A failure in the second check: one passed, one failed, the rest skipped, and diagnostics to point at.
    first = run(['bin/mesh-conformance.js', 'run', '--report-dir', dir, '--sim-fault', 'image-pull-error']);
  });
  test.afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the run writes JUnit, JSON and a summary that says where each failure\'s diagnostics are', () => {
    expect(first.code, first.out).toBe(1);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuites');
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as JsonReport;
    expect(json.stats.unexpected).toBe(1);
    const summary = readFileSync(join(dir, 'summary.txt'), 'utf8').split('\n');
    const failed = summary.findIndex((l) => l.startsWith('✖ httpbin: failed ('));
    expect(failed, summary.join('\n')).toBeGreaterThan(-1);
    expect(summary[failed], 'the failure line gives the one-line reason').toMatch(/ErrImagePull/);
    const where = /^ {2}diagnostics: (\S+)\/ \((\d+) files/.exec(summary[failed + 1] ?? '');
    expect(where, `line after the failure: ${summary[failed + 1]}`).not.toBeNull();
    const diagDir = where?.[1] ?? '';
    const files = readdirSync(diagDir);
    expect(files.length).toBe(Number(where?.[2]));
    expect(files.join(' ')).toMatch(/events/);
    expect(files.join(' ')).toMatch(/log-httpbin/);
    expect(summary.some((l) => /^✔ namespace: .* \(\d+\.\ds\)$/.test(l)), 'a passed check shows its duration').toBe(true);
    // Core and extended results apart (Gateway API conformance style): a line per level, and conformance-report.json.
    expect(summary).toContain('core: 1 passed, 1 failed, 2 skipped (failure)');
    const report = JSON.parse(readFileSync(join(dir, 'conformance-report.json'), 'utf8')) as { core: { result: string; statistics: Record<string, number> }; extended: { result: string } };
    expect(report.core).toMatchObject({ result: 'failure', statistics: { passed: 1, failed: 1, skipped: 2 } });
  });

  test('Allure results carry epic, feature, story, severity, tags, the environment and the manifests applied', () => {
    const resultsDir = join(dir, 'allure-results');
    const results = readdirSync(resultsDir).filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as AllureResult);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as JsonReport;
    const checkIds = specs(json.suites).map((s) => s.tests[0]?.annotations.find((a) => a.type === 'check')?.description);
    expect(results.map((r) => r.labels.find((l) => l.name === 'feature')?.value).sort()).toEqual([...checkIds].sort());
    for (const r of results) {
      const label = (name: string): string[] => r.labels.filter((l) => l.name === name).map((l) => l.value);
      expect(label('epic'), r.name).toEqual(['Open Service Mesh (OSM)']);
      expect(label('story'), r.name).toHaveLength(1);
      expect(['blocker', 'critical', 'normal']).toContain(label('severity')[0]);
      // Core and extended checks apart: the level as a tag and the suite the report's tree groups by.
      const level = label('tag').find((t) => t === 'core' || t === 'extended') ?? '';
      expect(['core', 'extended'], r.name).toContain(level);
      expect(label('suite'), r.name).toEqual([level === 'core' ? 'Core checks' : 'Extended checks']);
    }
    const env = readFileSync(join(resultsDir, 'environment.properties'), 'utf8');
    expect(env).toMatch(/^target=local$/m);
    expect(env).toMatch(/^context=mesh-conformance-sim-kind$/m);
    expect(env).toMatch(/^serverVersion=v\d+\.\d+\.\d+/m);
    expect(env).toMatch(/^meshVersion=v1\.2\.\d+$/m);
    expect(env).toMatch(/^ingressProfile=nginx$/m);
    const raw = readdirSync(resultsDir).filter((f) => f.endsWith('-result.json')).map((f) => readFileSync(join(resultsDir, f), 'utf8')).join('\n');
    expect(raw).toContain('"manifests applied"');
    expect(raw).toContain('"events ');
  });

  test('npm run report builds one self-contained HTML file and appends each build to the history', () => {
    const history = join(dir, 'history', 'allure-history.jsonl');
    const env = { MESH_CONFORMANCE_ALLURE_HISTORY: history };
    const zx = join(root, 'node_modules', 'zx', 'build', 'cli.js');
    const built = run([zx, 'scripts/report.mjs', '--report-dir', dir], env);
    expect(built.code, built.out).toBe(0);
    const index = join(dir, 'allure-report', 'index.html');
    expect(readdirSync(join(dir, 'allure-report')).filter((f) => f.endsWith('.html'))).toEqual(['index.html']);
    expect(readFileSync(history, 'utf8').trim().split('\n')).toHaveLength(1);
    // A second build appends to the history: trends across runs.
    const again = run([zx, 'scripts/report.mjs', '--report-dir', dir], env);
    expect(again.code, again.out).toBe(0);
    expect(readFileSync(history, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readFileSync(index, 'utf8')).not.toContain('googletagmanager');
  });

  test('the report opens from disk in headless Chromium and shows the run\'s totals and check names (skipped without Debian\'s chromium)', async () => {
    test.skip(!existsSync(chromiumPath), `Debian's chromium is not installed at ${chromiumPath} (apt-get install -y chromium): the report was built but not opened`);
    const index = join(dir, 'allure-report', 'index.html');
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as JsonReport;
    const passed = json.stats.expected + json.stats.flaky;
    const total = passed + json.stats.unexpected + json.stats.skipped;
    const checkIds = specs(json.suites).map((s) => s.tests[0]?.annotations.find((a) => a.type === 'check')?.description ?? '');
    const failedTitle = specs(json.suites).map((s) => s.title).find((t) => t.startsWith('httpbin:')) ?? '';

    const profile = mkdtempSync(join(tmpdir(), 'mesh-conformance-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs });
    try {
      const page = browser.pages()[0] ?? await browser.newPage();
      const outside: string[] = [];
      await page.route((url) => url.protocol !== 'file:' && url.protocol !== 'data:' && url.protocol !== 'blob:', async (route) => {
        outside.push(route.request().url());
        await route.abort();
      });
      await page.goto(pathToFileURL(index).href);
      // The summary widget: `metadata-item-<status>` holding a label and a `metadata-value`.
      const stat = (status: string) => page.getByTestId(`metadata-item-${status}`).getByTestId('metadata-value');
      await expect(stat('total')).toHaveText(String(total), { timeout: 30_000 });
      await expect(stat('passed')).toHaveText(String(passed));
      await expect(stat('failed')).toHaveText(String(json.stats.unexpected));
      await expect(stat('skipped')).toHaveText(String(json.stats.skipped));
      for (const id of checkIds) await expect(page.getByText(id, { exact: true }).first(), `check ${id} in the tree`).toBeVisible();
      await expect(page.getByText(failedTitle).first()).toBeVisible();
      await expect(page.getByText('serverVersion', { exact: true })).toBeVisible();
      expect(outside, 'the report makes no requests outside the file').toEqual([]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
