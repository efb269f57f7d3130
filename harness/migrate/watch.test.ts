// migrate watch's pure part: windows of failed answers per path (downtime for a path that was allowed, an
// authorization gap for one that was denied), open windows at the end, answers without mTLS, pods without a sidecar,
// and the verdict (downtime alone passes unless --max-downtime is exceeded).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathWatch, SidecarWatch, watchReport, watchSummary, watchVerdict } from './watch.ts';

const ok = (at: number, mtls: 'mtls' | 'plaintext' | 'unknown' = 'mtls') => ({ at, outcome: 'allowed' as const, detail: '200', mtls });
const no = (at: number, detail = '503 upstream connect error') => ({ at, outcome: 'error' as const, detail, mtls: 'unknown' as const });
const denied = (at: number) => ({ at, outcome: 'denied' as const, detail: '403 RBAC: access denied', mtls: 'unknown' as const });

void describe('migrate watch windows', () => {
  void it('a run of failed answers of an allowed path is one downtime window, from the first failure to the next success', () => {
    const p = new PathWatch('a → b', 'service', 'b', 'allowed');
    for (const a of [ok(0), no(1000), no(2000, 'reset'), ok(3000), no(5000), ok(5500)]) p.record(a);
    const r = p.result(10_000);
    assert.equal(r.requests, 6);
    assert.equal(r.failed, 3);
    assert.deepEqual(r.windows.map((w) => [w.ms, w.requests, w.open, w.first]), [[2000, 2, false, 'error (503 upstream connect error)'], [500, 1, false, 'error (503 upstream connect error)']]);
    assert.equal(r.windowMs, 2500);
  });

  void it('a window still failing at the end is open and ends with the watch; unobserved requests are not downtime', () => {
    const p = new PathWatch('a → b', 'service', 'b', 'allowed');
    p.record(ok(0));
    p.recordUnobserved();
    p.record(no(4000));
    const r = p.result(9000);
    assert.deepEqual(r.windows.map((w) => [w.ms, w.open]), [[5000, true]]);
    assert.equal(r.unobserved, 1);
  });

  void it('a denied path fails only when answered: another refusal or an error keeps it denied', () => {
    const p = new PathWatch('thief → store', 'service', 'store', 'denied');
    for (const a of [denied(0), no(1000), ok(2000), ok(2500), denied(3000)]) p.record(a);
    const r = p.result(4000);
    assert.deepEqual(r.windows.map((w) => [w.ms, w.requests]), [[1000, 2]]);
  });

  void it('the report sums downtime over allowed paths, gaps over denied ones, and names the longest window', () => {
    const a = new PathWatch('a', 'service', 'x', 'allowed');
    const b = new PathWatch('b', 'service', 'x', 'allowed');
    const d = new PathWatch('d', 'service', 'x', 'denied');
    for (const x of [ok(0), no(100), ok(1100)]) a.record(x);
    for (const x of [no(0), no(100), ok(3000, 'plaintext')]) b.record(x);
    for (const x of [denied(0), ok(10), denied(510)]) d.record(x);
    const sidecars = new SidecarWatch();
    sidecars.census(0, [{ namespace: 'x', pod: 'x-1', sidecar: 'osm' }, { namespace: 'x', pod: 'x-2', sidecar: undefined }]);
    sidecars.census(1000, [{ namespace: 'x', pod: 'x-3', sidecar: undefined }]);
    const report = watchReport({ startedAt: 0, endedAt: 5000, rate: 5, pathIntervalMs: 600, stoppedBy: 'interrupted', paths: [a, b, d], sidecars, skipped: 0 });
    assert.equal(report.summary.downtimeMs, 4000);
    assert.deepEqual(report.summary.longestDowntime, { path: 'b', ms: 3000 });
    assert.equal(report.summary.authorizationGapMs, 500);
    assert.equal(report.summary.plaintext, 1);
    assert.deepEqual(report.podsWithoutSidecar.map((p) => [p.pod, p.stillThere, p.lastSeen]), [['x-2', false, new Date(0).toISOString()], ['x-3', true, new Date(1000).toISOString()]]);
    const reasons = watchVerdict(report, undefined);
    assert.equal(reasons.length, 3, reasons.join('\n'));
    assert.match(reasons[0] ?? '', /^authorization gap: d was denied before and was answered for 500 ms/);
    assert.match(reasons[1] ?? '', /^1 answers came without mTLS \(first: b at 1970-01-01T00:00:03\.000Z\)/);
    assert.match(reasons[2] ?? '', /^pod x\/x-3 still runs without a sidecar/);
    assert.equal(report.summary.anyDowntimeMs, 3000);
    assert.match(watchSummary(report).join('\n'), /downtime: 3\.0 s during which a path that was allowed failed \(4\.0 s summed over 2 paths\); longest window 3\.0 s on b/);
  });

  void it('downtime fails the verdict only beyond --max-downtime, judged per window', () => {
    const a = new PathWatch('a', 'service', 'x', 'allowed');
    for (const x of [no(0), ok(2000), no(3000), ok(5000)]) a.record(x);
    const report = watchReport({ startedAt: 0, endedAt: 6000, rate: 1, pathIntervalMs: 1000, stoppedBy: 'duration', paths: [a], sidecars: new SidecarWatch(), skipped: 0 });
    assert.deepEqual(watchVerdict(report, undefined), []);
    assert.deepEqual(watchVerdict(report, 2000), []);
    assert.match(watchVerdict(report, 1999)[0] ?? '', /^downtime: a failed for 2\.0 s at once, more than --max-downtime 2\.0 s/);
  });
});
