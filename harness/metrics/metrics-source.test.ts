import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockAgent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { osmMetricsExpectations } from '../mesh/mesh-metrics.ts';
import { MetricsUnreachableError, connectPrometheus } from './metrics-source.ts';

const m = osmMetricsExpectations('osm-system');
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

  it('says who answered and reads the pod\'s target, live gauge and 2xx counter (bearer token sent)', async () => {
    const pool = agent.get(base);
    const auth = { headers: { authorization: 'Bearer t0k' } };
    pool.intercept({ path: '/api/v1/status/buildinfo', ...auth }).reply(200, ok({ version: '2.51.0', revision: 'r' }));
    const source = await connectPrometheus({ kind: 'url', url: base, token: 't0k' }, m, { timeoutMs: 1_000 });
    assert.equal(source.description, `Prometheus 2.51.0 via ${base} (with a bearer token)`);

    const pod = { source_namespace: 't-1', source_pod_name: 'httpbin-1' };
    pool.intercept({ path: '/api/v1/targets?state=active', ...auth }).reply(200, ok({ activeTargets: [{ labels: pod, health: 'up', lastError: '', scrapeUrl: 'http://10.0.0.5:15010/stats/prometheus' }] }));
    pool.intercept({ path: (p) => p.startsWith('/api/v1/query?query=envoy_server_live'), ...auth })
      .reply(200, ok({ resultType: 'vector', result: [{ metric: pod, value: [1, '1'] }] }));
    pool.intercept({ path: (p) => p.startsWith('/api/v1/query?query=envoy_cluster_upstream_rq_xx'), ...auth })
      .reply(200, ok({ resultType: 'vector', result: [
        { metric: { ...pod, envoy_cluster_name: 't-1/httpbin|14001|local' }, value: [1, '7'] },
        { metric: { ...pod, envoy_cluster_name: 'other' }, value: [1, '3'] },
        { metric: { source_namespace: 't-1', source_pod_name: 'someone-else' }, value: [1, '100'] },
      ] }));
    assert.deepEqual(await source.snapshot({ namespace: 't-1', pod: 'httpbin-1' }, { timeoutMs: 1_000 }),
      { targetUp: true, target: 'up (http://10.0.0.5:15010/stats/prometheus)', live: 1, successfulRequests: 10 });
  });

  it('reports an unreachable Prometheus with where it looked and what answered', async () => {
    agent.get(base).intercept({ path: '/api/v1/status/buildinfo' }).reply(503, 'upstream connect error');
    await assert.rejects(connectPrometheus({ kind: 'url', url: base }, m, { timeoutMs: 1_000 }),
      (err: Error) => err instanceof MetricsUnreachableError && err.message === `Prometheus is unreachable at ${base}: HTTP 503 upstream connect error`);
  });
});
