// Requirement (issue 7, resilience): on a degraded API server (latency, one request in five failing with 500 or 429
// plus Retry-After, watches cut every second) the run passes, failed calls are retried after Retry-After, no object
// is created twice, and cut watches resume from their last resourceVersion. Counted from the simulator's request log.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { quickBudgets, runCliToEnd, testRunId } from './reliability-support.ts';

interface LogEntry { time: string; verb: string; method: string; path: string; status: number; userAgent: string; created?: string }

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'resilience');

test('a run on api-slow + api-flaky + watch-cut passes with no duplicate create, Retry-After honoured, watches resumed', async () => {
  const runId = testRunId('res');
  const reportDir = join(dir, runId);
  const r = await runCliToEnd(['run', '--report-dir', reportDir, '--sim-fault', 'api-slow', '--sim-fault', 'api-flaky', '--sim-fault', 'watch-cut', '--', '--grep', '@ingress'],
    { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 170_000 });
  expect(r.code, r.output.slice(-3000)).toBe(0);

  const simDir = join(reportDir, 'simulator', runId);
  const logFile = readdirSync(simDir).find((f) => f.endsWith('.jsonl') && f.startsWith('requests'));
  expect(logFile, `a request log in ${simDir}`).toBeTruthy();
  const log = readFileSync(join(simDir, logFile ?? ''), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEntry);
  // The harness's requests (client-node), not the simulator's own components.
  const harness = log.filter((e) => !e.userAgent.startsWith('simulator') && !e.userAgent.includes('kube-controller') && e.path.split('?')[0] !== '/healthz');

  const injected = harness.filter((e) => e.status === 500 || e.status === 429);
  const nsCreates = harness.filter((e) => e.method === 'POST' && e.path.split('?')[0] === '/api/v1/namespaces');
  const created = harness.filter((e) => e.created).map((e) => e.created ?? '');
  const duplicates = created.filter((c, i) => created.indexOf(c) !== i);
  const markerReads = harness.filter((e) => e.method === 'GET' && e.path.includes('mesh-conformance.io%2Fcreate-id'));

  // Retry-After: 1 → the same request comes back no sooner than ~1 s after a 500/429.
  const gaps: number[] = [];
  for (const f of injected.filter((e) => e.verb !== 'watch')) {
    const next = harness.find((e) => e.method === f.method && e.path === f.path && Date.parse(e.time) > Date.parse(f.time));
    if (next) gaps.push(Date.parse(next.time) - Date.parse(f.time));
  }
  gaps.sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)] ?? 0;

  const watches = harness.filter((e) => e.verb === 'watch');
  const resumed = watches.filter((e) => /[?&]resourceVersion=\d+/.test(e.path));
  const figures = `requests ${harness.length}, injected failures ${injected.length} (500: ${injected.filter((e) => e.status === 500).length}, 429: ${injected.filter((e) => e.status === 429).length}), `
    + `namespace POSTs ${nsCreates.length} (${nsCreates.map((e) => e.status).join(',')}), marker reads ${markerReads.length}, objects created ${created.length}, duplicates ${duplicates.length}, `
    + `retry gap after a failure: min ${gaps[0] ?? '-'} ms, median ${median} ms over ${gaps.length}, watches opened ${watches.length} (with resourceVersion ${resumed.length})`;
  console.log(`resilience: ${figures}`);
  test.info().annotations.push({ type: 'figures', description: figures });

  expect(injected.length, 'api-flaky injected failures into the harness\'s calls').toBeGreaterThan(0);
  expect(duplicates, 'no object was created twice').toEqual([]);
  expect(nsCreates.filter((e) => e.status === 201), 'exactly one namespace created').toHaveLength(1);
  // A 500 on the namespace POST is followed by a read by marker before any second POST.
  for (const [i, e] of nsCreates.entries()) {
    if (e.status === 500 && nsCreates[i + 1]) {
      const between = harness.filter((x) => Date.parse(x.time) >= Date.parse(e.time) && Date.parse(x.time) <= Date.parse(nsCreates[i + 1]!.time));
      expect(between.some((x) => x.path.includes('create-id')), 'read by marker between a failed create and the next').toBe(true);
    }
  }
  expect(median, 'retries wait for Retry-After (1 s)').toBeGreaterThanOrEqual(900);
  expect(watches.length, 'cut watches were re-established').toBeGreaterThan(resumed.length > 0 ? 1 : 0);
  expect(resumed.length, 'watches resume from the last resourceVersion').toBeGreaterThan(0);
});
