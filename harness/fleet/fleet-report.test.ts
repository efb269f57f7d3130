import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FleetCluster } from './fleet-report.ts';
import { buildFleetReport, contextFolder, fleetExitCode, globMatches, renderFleetHtml, renderFleetTable, verdictOf } from './fleet-report.ts';

const cluster = (over: Partial<FleetCluster>): FleetCluster => ({
  context: 'a', reportDir: 'a', target: 'kind', verdict: 'passed', exitCode: 0, durationSeconds: 31.24, mesh: 'osm', meshVersion: 'v1.2.4', supportEnds: null,
  failingChecks: [], reason: null, runId: 'r1', ...over,
});

describe('fleet report', () => {
  it('maps each run\'s exit code to a verdict (3, the cluster stayed unavailable, is not checked)', () => {
    assert.equal(verdictOf(0, false), 'passed');
    assert.equal(verdictOf(1, false), 'failed');
    assert.equal(verdictOf(2, false), 'not checked');
    assert.equal(verdictOf(3, false), 'not checked');
    assert.equal(verdictOf(null, false), 'not checked');
    assert.equal(verdictOf(130, false), 'interrupted');
    assert.equal(verdictOf(1, true), 'failed', 'a verdict reached before the interrupt stands');
  });

  it('exit code: interrupted 130, else a failed check 1, else a cluster not checked 2, else 0', () => {
    assert.equal(fleetExitCode([cluster({})], false), 0);
    assert.equal(fleetExitCode([cluster({}), cluster({ verdict: 'not checked' })], false), 2);
    assert.equal(fleetExitCode([cluster({ verdict: 'failed' }), cluster({ verdict: 'not checked' })], false), 1);
    assert.equal(fleetExitCode([cluster({ verdict: 'failed' })], true), 130);
  });

  it('renders one row per cluster with its failing checks and reason below, and the summary with the exit code', () => {
    const report = buildFleetReport([
      cluster({ context: 'prod-weu', mesh: 'osm', meshVersion: 'v1.2.5', supportEnds: '2027-09-30' }),
      cluster({ context: 'prod-neu', verdict: 'failed', exitCode: 1, failingChecks: ['ingress: Timed out after 10s waiting for GET /get → 503'] }),
      cluster({ context: 'private', verdict: 'not checked', exitCode: 2, mesh: null, meshVersion: null, reason: 'pre-flight failed (context private): API server did not answer' }),
    ], false, new Date('2026-05-01T00:00:00Z'));
    const table = renderFleetTable(report);
    assert.equal(table, [
      'CLUSTER   MESH  VERSION  VERDICT      DURATION  SUPPORT ENDS',
      'prod-weu  osm   v1.2.5   passed       31.2s     2027-09-30',
      'prod-neu  osm   v1.2.4   failed       31.2s     -',
      '    ✖ ingress: Timed out after 10s waiting for GET /get → 503',
      'private   -     -        not checked  31.2s     -',
      '    reason: pre-flight failed (context private): API server did not answer',
      'mesh-conformance fleet: 3 clusters: 1 passed, 1 failed, 1 not checked; exit 1',
      '',
    ].join('\n'));
    const html = renderFleetHtml(report);
    assert.match(html, /<td>prod-weu<\/td><td>osm<\/td><td>v1\.2\.5<\/td>/);
    assert.match(html, /✖ ingress: Timed out after 10s waiting for GET \/get → 503/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3)/, 'self-contained: no scripts, no outside requests');
    assert.match(renderFleetHtml(buildFleetReport([cluster({ context: '<b>' })], false)), /&lt;b&gt;/);
  });

  it('turns context names into unique folder names and matches globs', () => {
    const taken = new Set<string>();
    assert.equal(contextFolder('arn:aws:eks:eu-west-1:1:cluster/prod', taken), 'arn_aws_eks_eu-west-1_1_cluster_prod');
    assert.equal(contextFolder('a/b', taken), 'a_b');
    assert.equal(contextFolder('a:b', taken), 'a_b-2');
    assert.equal(contextFolder('..', taken), '_');
    assert.ok(globMatches('prod-*', 'prod-weu-aks') && !globMatches('prod-*', 'staging') && globMatches('c?', 'c1') && !globMatches('c.d', 'cxd'));
  });
});
