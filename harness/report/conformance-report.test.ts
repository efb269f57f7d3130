import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { checkCatalogue } from '../checks/catalogue.ts';
import type { CheckDefinition } from '../checks/catalogue.ts';
import { runPaths } from '../config/run-config.ts';
import type { ConformanceReport } from './conformance-report.ts';
import { levelOf, reportJsonSchema, validReport, writeConformanceReport } from './conformance-report.ts';
import { exportResults, isSonobuoyResultsDir } from './results-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const [namespace, httpbin, ingress] = checkCatalogue as readonly CheckDefinition[];
const extended: CheckDefinition = { id: 'retries', title: 'retries a 503 once', tag: '@retries', dependsOn: 'ingress', severity: 'normal', story: 's', level: 'extended', feature: 'Retries' };

function sample(): ConformanceReport {
  return {
    apiVersion: 'mesh-conformance.io/v1alpha1', kind: 'ConformanceReport', date: '2026-05-01T10:00:00.000Z', mode: 'in-cluster',
    tool: { name: 'mesh-conformance', version: '0.1.0' },
    run: { id: 'mc-1', result: 'failed', durationSeconds: 12.3 },
    implementation: { mesh: 'osm', title: 'Open Service Mesh (OSM)', version: 'v1.2.4', namespace: 'mesh-ns', supportEnds: '2027-09-30', supportNote: 'retired' },
    cluster: { context: 'in-cluster', server: 'https://10.0.0.1:443', serverVersion: 'v1.29.4', provider: null, flavor: 'kind' },
    profile: { name: 'osm/nginx', mesh: 'osm', ingress: 'nginx', target: 'kind' },
    core: levelOf([
      { check: namespace!, copy: 0, result: 'passed', durationMs: 120, message: undefined, reason: undefined },
      { check: httpbin!, copy: 0, result: 'failed', durationMs: 3400, message: 'Timed out after 20s waiting for Pod …', reason: undefined },
      { check: ingress!, copy: 0, result: 'skipped', durationMs: undefined, message: undefined, reason: 'depends on httpbin, which failed' },
    ]),
    extended: levelOf([{ check: extended, copy: 0, result: 'skipped', durationMs: undefined, message: undefined, reason: 'extended feature Retries is not supported' }]),
    features: { supported: [], tested: [], untested: ['Retries'] },
  };
}

describe('ConformanceReport', () => {
  it('docs/conformance-report.schema.json is generated from the zod schema (regenerate: node --import tsx scripts/render-report-schema.ts)', () => {
    const committed = readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8');
    assert.equal(committed, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`, 'docs/conformance-report.schema.json is stale');
  });

  it('statistics and verdicts per level: a failure wins, skips alone are partial, nothing is empty; each skip has its reason', () => {
    const r = sample();
    assert.deepEqual(r.core.statistics, { passed: 1, failed: 1, skipped: 1 });
    assert.equal(r.core.result, 'failure');
    assert.equal(r.extended.result, 'partial');
    assert.equal(levelOf([]).result, 'empty');
    assert.equal(levelOf([{ check: namespace!, copy: 1, result: 'passed', durationMs: 50, message: undefined, reason: undefined }]).tests[0]?.name, 'namespace#2');
    assert.deepEqual(r.core.tests[2], { name: 'ingress', title: ingress!.title, result: 'skipped', durationSeconds: null, reason: 'depends on httpbin, which failed' });
  });

  it('what is written validates against the published JSON Schema (ajv, draft 2020-12), YAML and JSON alike', () => {
    const files = { yaml: join(dir, 'r.yaml'), json: join(dir, 'r.json') };
    writeConformanceReport(files, sample());
    // The schema's `pattern`s carry the date formats, so ajv-formats is not needed (validateFormats: false).
    const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8')) as object);
    for (const doc of [parse(readFileSync(files.yaml, 'utf8')) as unknown, JSON.parse(readFileSync(files.json, 'utf8')) as unknown]) {
      assert.ok(validate(doc), JSON.stringify(validate.errors));
    }
    // The schema is closed and typed: an unknown field or a wrong type does not validate, and the writer refuses it.
    assert.ok(!validate({ ...sample(), extra: 1 }));
    assert.ok(!validate({ ...sample(), mode: 'cloud' }));
    assert.throws(() => validReport({ ...sample(), run: { id: 'x', result: 'maybe', durationSeconds: 1 } }), /^Error: invalid ConformanceReport: run\.result: /);
  });
});

describe('--results-dir', () => {
  it('copies only this run\'s files (an earlier run\'s in the same report dir stay out), and Sonobuoy\'s directory gets the archive and done', () => {
    const reportDir = join(dir, 'reports');
    const paths = runPaths(reportDir, 'mc-2');
    mkdirSync(join(paths.diagnostics, 'httpbin'), { recursive: true });
    writeFileSync(paths.junit, '<testsuites/>');
    writeFileSync(paths.summary, 'old summary\n');
    writeFileSync(paths.conformanceReportJson, '{}');
    writeFileSync(join(paths.diagnostics, 'httpbin', 'events.txt'), 'events');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(paths.summary, old, old);
    const results = join(dir, 'sonobuoy');
    const env = { SONOBUOY_RESULTS_DIR: results };
    assert.ok(isSonobuoyResultsDir(`${results}/`, env) && !isSonobuoyResultsDir(join(dir, 'other'), env) && isSonobuoyResultsDir('/tmp/sonobuoy/results', {}));
    const out = exportResults(results, { reportDir, runId: 'mc-2', startedAt: Date.now() - 60_000, exitCode: 1, error: undefined }, env);
    assert.deepEqual(out.files, ['junit.xml', 'conformance-report.json', 'diagnostics/', 'results.tar.gz', 'done']);
    assert.equal(readFileSync(join(results, 'done'), 'utf8'), join(results, 'results.tar.gz'));
    const listing = execFileSync('tar', ['-tzf', join(results, 'results.tar.gz')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(listing, ['conformance-report.json', 'diagnostics/', 'diagnostics/httpbin/', 'diagnostics/httpbin/events.txt', 'junit.xml']);
  });
});
