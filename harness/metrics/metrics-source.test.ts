import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { startConnectProxy } from '../http/testing/connect-proxy.ts';
import type { Dispatcher } from 'undici';
import { MetricsUnreachableError, connectPrometheus } from './metrics-source.ts';
import { testMetrics as m } from './testing/fake-metrics.ts';

const base = 'http://prom.example:9090';
const ok = (data: unknown): string => JSON.stringify({ status: 'success', data });

describe('Prometheus at a user URL', () => {
  let previous: Dispatcher;
  let agent: MockAgent;
  before(() => {
    previous = getGlobalDispatcher();
    agent = new MockAgent();
    agent.disableNetConnect();
    setGlobalDispatcher(agent);
  });
  after(async () => {
    agent.assertNoPendingInterceptors();
    setGlobalDispatcher(previous);
    await agent.close();
  });

  it('says who answered, finds the pod among the targets (with its next scrape) and reads a selector\'s series (bearer token sent)', async () => {
    const pool = agent.get(base);
    const auth = { headers: { authorization: 'Bearer t0k' } };
    pool.intercept({ path: '/api/v1/status/buildinfo', ...auth }).reply(200, ok({ version: '2.51.0', revision: 'r' }));
    const source = await connectPrometheus({ kind: 'url', url: base, auth: { token: 't0k' } }, m, { timeoutMs: 1_000 });
    assert.equal(source.description, `Prometheus 2.51.0 via ${base} (with a bearer token)`);

    const pod = { ns: 't-1', pod: 'httpbin-1' };
    pool.intercept({ path: '/api/v1/targets?state=active', ...auth }).reply(200, ok({ activeTargets: [
      { labels: { ns: 't-1', pod: 'other' }, health: 'up', lastError: '', scrapeUrl: 'http://10.0.0.4:9999/metrics' },
      { labels: pod, health: 'up', lastError: '', scrapeUrl: 'http://10.0.0.5:9999/metrics', lastScrape: '2026-11-28T10:00:00Z', scrapeInterval: '15s', lastScrapeDuration: 0.02 },
    ] }));
    assert.deepEqual(await source.target({ namespace: 't-1', pod: 'httpbin-1' }, { timeoutMs: 1_000 }),
      { up: true, text: 'up (http://10.0.0.5:9999/metrics)', nextScrapeMs: Date.parse('2026-11-28T10:00:15.020Z') });

    pool.intercept({ path: `/api/v1/query?query=${encodeURIComponent('requests_total{ns="t-1",pod="httpbin-1"}')}`, ...auth })
      .reply(200, ok({ resultType: 'vector', result: [{ metric: { ...pod, code: '200' }, value: [1, '7'] }, { metric: { ...pod, code: '503' }, value: [1, '3'] }] }));
    assert.deepEqual(await source.series({ metric: 'requests_total', labels: { ns: 't-1', pod: 'httpbin-1' } }, { namespace: 't-1', pod: 'httpbin-1' }, { timeoutMs: 1_000 }),
      [{ labels: { ...pod, code: '200' }, value: 7 }, { labels: { ...pod, code: '503' }, value: 3 }]);
  });

  it('knows when the pod\'s next scrape lands: ask right after it, soon while it is overdue, at the fixed poll once it is long overdue or unknown', async () => {
    agent.get(base).intercept({ path: '/api/v1/status/buildinfo' }).reply(200, ok({ version: '2.51.0' }));
    const source = await connectPrometheus({ kind: 'url', url: base, auth: {} }, m, { timeoutMs: 1_000 });
    const ref = { namespace: 't-1', pod: 'p' };
    assert.equal(source.nextDataInMs(ref), undefined, 'no target seen yet');
    const seen = (lastScrapeMs: number) => agent.get(base).intercept({ path: '/api/v1/targets?state=active' }).reply(200, ok({ activeTargets: [
      { labels: { ns: 't-1', pod: 'p' }, health: 'up', lastError: '', scrapeUrl: 'u', lastScrape: new Date(lastScrapeMs).toISOString(), scrapeInterval: '10s', lastScrapeDuration: 0.5 },
    ] }));
    seen(Date.now() - 4_000);
    await source.target(ref, { timeoutMs: 1_000 });
    const wait = source.nextDataInMs(ref) ?? 0;
    assert.ok(wait > 6_000 && wait <= 6_510, `next scrape in about 6.5 s, got ${wait}`);
    seen(Date.now() - 10_600);
    await source.target(ref, { timeoutMs: 1_000 });
    assert.equal(source.nextDataInMs(ref), 25, 'overdue by 0.1 s');
    seen(Date.now() - 30_000);
    await source.target(ref, { timeoutMs: 1_000 });
    assert.equal(source.nextDataInMs(ref), undefined, 'overdue by more than an interval');
  });

  it('says when the pod is not among the targets', async () => {
    agent.get(base).intercept({ path: '/api/v1/status/buildinfo' }).reply(200, ok({ version: '2.51.0' }));
    const source = await connectPrometheus({ kind: 'url', url: base, auth: {} }, m, { timeoutMs: 1_000 });
    agent.get(base).intercept({ path: '/api/v1/targets?state=active' }).reply(200, ok({ activeTargets: [{ labels: { ns: 'x', pod: 'y' }, health: 'down', lastError: 'refused' }] }));
    assert.deepEqual(await source.target({ namespace: 't-1', pod: 'p' }, { timeoutMs: 1_000 }), { up: undefined, text: 'not a target (1 active targets, none with ns="t-1", pod="p")' });
  });

  it('without /api/v1/targets (managed Prometheus), reads the pod\'s up series, and scopes every selector to the cluster label', async () => {
    agent.get(base).intercept({ path: '/api/v1/status/buildinfo' }).reply(404, 'not found');
    const source = await connectPrometheus({ kind: 'url', url: base, auth: {}, extraLabels: { cluster: 'aks-1' } }, m, { timeoutMs: 1_000 });
    assert.equal(source.description, `a Prometheus-compatible API via ${base}, scoped to cluster="aks-1"`);
    agent.get(base).intercept({ path: '/api/v1/targets?state=active' }).reply(404, 'not found');
    agent.get(base).intercept({ path: `/api/v1/query?query=${encodeURIComponent('up{cluster="aks-1",ns="t-1",pod="p"}')}` })
      .reply(200, ok({ resultType: 'vector', result: [{ metric: { ns: 't-1', pod: 'p' }, value: [1, '1'] }] }));
    assert.deepEqual(await source.target({ namespace: 't-1', pod: 'p' }, { timeoutMs: 1_000 }), { up: true, text: 'up (its up series is 1)' });
    agent.get(base).intercept({ path: `/api/v1/query?query=${encodeURIComponent('requests_total{ns="t-1",cluster="aks-1"}')}` })
      .reply(200, ok({ resultType: 'vector', result: [] }));
    assert.deepEqual(await source.series({ metric: 'requests_total', labels: { ns: 't-1' } }, { namespace: 't-1', pod: 'p' }, { timeoutMs: 1_000 }), []);
  });

  it('sends a URL\'s credentials (user info as Basic auth, query parameters) but never names them (issue 19, F1)', async () => {
    const withCreds = 'http://alice:pw-SECRET@prom.example:9090/?api_key=key-SECRET';
    const basic = `Basic ${Buffer.from('alice:pw-SECRET').toString('base64')}`;
    const pool = agent.get(base);
    pool.intercept({ path: '/api/v1/status/buildinfo?api_key=key-SECRET', headers: { authorization: basic } }).reply(200, ok({ version: '2.51.0' }));
    const source = await connectPrometheus({ kind: 'url', url: withCreds, auth: {} }, m, { timeoutMs: 1_000 });
    assert.equal(source.description, 'Prometheus 2.51.0 via http://alice:<redacted>@prom.example:9090/?api_key=<redacted>');
    pool.intercept({ path: '/api/v1/targets?state=active&api_key=key-SECRET', headers: { authorization: basic } }).reply(503, 'overloaded');
    await assert.rejects(source.target({ namespace: 't-1', pod: 'p' }, { timeoutMs: 1_000 }), (err: Error) => !/SECRET/.test(err.message) && /HTTP 503 from http:\/\/alice:<redacted>@/.test(err.message));
    pool.intercept({ path: '/api/v1/status/buildinfo?api_key=key-SECRET' }).reply(401, 'no');
    await assert.rejects(connectPrometheus({ kind: 'url', url: withCreds, auth: {} }, m, { timeoutMs: 1_000 }), (err: Error) => !/SECRET/.test(err.message) && /refused the request \(HTTP 401\)/.test(err.message));
  });

  it('reports a Prometheus that stays unreachable with where it looked and what answered, after retrying within the budget', async () => {
    const down = 'http://prom-down.example:9090';
    agent.get(down).intercept({ path: '/api/v1/status/buildinfo' }).reply(503, 'upstream connect error').persist();
    await assert.rejects(connectPrometheus({ kind: 'url', url: down, auth: {} }, m, { timeoutMs: 1_000 }),
      (err: Error) => err instanceof MetricsUnreachableError && /^Prometheus is unreachable at http:\/\/prom-down\.example:9090: HTTP 503 upstream connect error \(still so after retrying for [\d.]+m?s\)$/.test(err.message));
  });

  it('retries a 429 or 503 on buildinfo, capping Retry-After at the budget (issue 19, F5)', async () => {
    const pool = agent.get(base);
    pool.intercept({ path: '/api/v1/status/buildinfo' }).reply(429, 'slow down', { headers: { 'retry-after': '3600' } });
    pool.intercept({ path: '/api/v1/status/buildinfo' }).reply(503, 'overloaded');
    pool.intercept({ path: '/api/v1/status/buildinfo' }).reply(200, ok({ version: '2.51.0' }));
    const started = Date.now();
    const source = await connectPrometheus({ kind: 'url', url: base, auth: {} }, m, { timeoutMs: 5_000 });
    assert.equal(source.description, `Prometheus 2.51.0 via ${base}`);
    assert.ok(Date.now() - started < 4_000, 'Retry-After: 3600 is not obeyed past the budget');
  });
});

describe('Prometheus at a user URL behind HTTP_PROXY (issue 19, F4)', () => {
  it('goes through the proxy kubectl would use, with the proxy\'s credentials; a host only the proxy resolves answers', async () => {
    const prom = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/api/v1/status/buildinfo') ? ok({ version: '2.99.0' }) : ok({ activeTargets: [] }));
    });
    await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
    const promPort = (prom.address() as AddressInfo).port;
    const proxy = await startConnectProxy({ credentials: 'pu:pp-SECRET', map: (host, port) => (host === 'prom.mesh.invalid' ? { host: '127.0.0.1', port: String(promPort) } : { host, port }) });
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    try {
      const source = await connectPrometheus({ kind: 'url', url: 'http://prom.mesh.invalid:9090', auth: {} }, m, { timeoutMs: 5_000 });
      assert.equal(source.description, 'Prometheus 2.99.0 via http://prom.mesh.invalid:9090');
      assert.deepEqual(proxy.tunnels, [{ target: 'prom.mesh.invalid:9090', authorized: true }]);
      await source.close();
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await proxy.close();
      prom.closeAllConnections();
      prom.close();
    }
  });
});
