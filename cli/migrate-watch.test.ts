// migrate watch against an ingress URL only (a baseline without service probes, so no cluster object is read or
// created): the probe loop is bounded by --max-requests, a run of 503s is one downtime window, --max-downtime fails
// the verdict, and the JSON report says so.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WatchReport } from '../harness/migrate/watch.ts';
import { main } from './main.ts';

void describe('migrate watch --url', () => {
  let dir = '';
  let server: http.Server;
  let url = '';
  let served = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-watch-'));
    // A kubeconfig the watch parses but never dials: the baseline names no namespace, Service or identity.
    writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    writeFileSync(join(dir, 'baseline.json'), JSON.stringify({ kind: 'MeshMigrationBehaviour', version: 1, mesh: 'osm', takenAt: '', namespaces: [], probes: [], sidecars: [], unprobed: [] }));
    // Answers 200, then 503 for requests 6 to 10 (the cutover), then 200 again.
    server = http.createServer((req, res) => {
      served += 1;
      const down = served > 5 && served <= 10;
      res.writeHead(down ? 503 : 200, { 'content-type': 'text/plain' }).end(down ? 'no healthy upstream' : `{"host": "${req.headers.host ?? ''}"}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/get`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('measures the window of 503s, stops at --max-requests, and fails on --max-downtime', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(['migrate', 'watch', '--kubeconfig', join(dir, 'kubeconfig'), '--baseline', join(dir, 'baseline.json'), '--url', url, '--host', 'shop.example',
      '--rate', '50', '--max-requests', '20', '--max-downtime', '10ms', '--out', join(dir, 'watch.json')],
    { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } } });
    assert.equal(code, 1, `${stdout}\n${stderr}`);
    assert.equal(served, 20);
    const report = JSON.parse(readFileSync(join(dir, 'watch.json'), 'utf8')) as WatchReport & { verdict: string; reasons: string[] };
    assert.equal(report.stoppedBy, 'max-requests');
    const path = report.paths[0];
    assert.equal(path?.id, `ingress GET ${url} [Host: shop.example]`);
    assert.deepEqual(path?.windows.map((w) => [w.requests, w.open, w.first]), [[5, false, 'error (503 no healthy upstream)']]);
    assert.ok((path?.windows[0]?.ms ?? 0) >= 80, `a window of 5 requests at 50/s lasts about 100 ms: ${path?.windows[0]?.ms ?? 0}`);
    assert.equal(report.verdict, 'failed');
    assert.match(report.reasons[0] ?? '', /^downtime: ingress GET .* failed for \d+ ms at once, more than --max-downtime 10 ms/);
    assert.match(stderr, /DOWN ingress GET .*: error \(503 no healthy upstream\)/);
    assert.match(stderr, /UP ingress GET .* after \d+ ms/);
    assert.match(stdout, /^migrate watch: FAILED: 1 problems; wrote /m);
  });
});
