// Check: the namespace's envoy metrics are scraped: the httpbin pod is a scrape target that is up, its sidecar is
// live, and its successful-request counter counts at least the requests the suite sent through the ingress.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { MetricsSource } from '../../fixtures/index.ts';
import {
  LogAnalyticsSource, checkDetails, connectPrometheus, expect, formatDuration, httpbin, resourceTypes, scrapeAnnotationProblems,
  sidecarLive, successfulRequestsCounted, targetUp, test, waitFor, WaitTimeoutError,
} from '../../fixtures/index.ts';

export function metricsCheck(): void {
  test('metrics: the httpbin sidecar is scraped and its request counters count the ingress traffic',
    checkDetails('metrics'),
    async ({ cluster, ns, mesh, http, azureMonitorCollection, conformanceConfig: config }, testInfo) => {
      const budgetMs = config.timeouts.apply;
      const m = mesh.metrics;
      const { timeoutMs, prometheusUrl, prometheusToken, logAnalytics } = config.metrics;
      // The wait below may be long (Azure Monitor ingestion): keep the test budget above it.
      testInfo.setTimeout(Math.max(testInfo.timeout, timeoutMs + config.timeouts.assert + 60_000));
      const deadline = Date.now() + timeoutMs;
      const remaining = (): number => Math.max(1_000, deadline - Date.now());

      const pod = await test.step('setup: find the httpbin pod', async () => {
        const pods = await cluster.list<V1Pod>(resourceTypes.pod, { namespace: ns.name, labelSelector: httpbin.appLabel }, { budgetMs });
        const running = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
        expect(running.length, `no Running pod matches ${httpbin.appLabel} in namespace ${ns.name}`).toBeGreaterThan(0);
        return running[0]!;
      });
      const podName = pod.metadata?.name ?? '';
      const subject = { namespace: ns.name, pod: podName };

      await test.step(`assess: pod ${podName} carries the scrape annotations (${Object.keys(m.podAnnotations).join(', ')})`, async () => {
        const nsObject = await cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });
        const problems = scrapeAnnotationProblems(pod, m, { object: nsObject, metricsAnnotation: mesh.metricsNamespaceAnnotation });
        expect(problems, `Pod ${ns.name}/${podName} cannot be scraped:\n${problems.map((p) => `- ${p}`).join('\n')}`).toEqual([]);
      });

      const sent = http.responsesOfClass(2);
      let source: MetricsSource | undefined;
      try {
        source = await test.step('setup: connect to the metrics source', async () => {
          if (!prometheusUrl && logAnalytics) {
            const where = { namespace: m.azureMonitor.configMapNamespace, name: m.azureMonitor.configMapName };
            const change = await azureMonitorCollection.collect(where, ns.name);
            testInfo.annotations.push({ type: 'azure-monitor-config', description: `${where.namespace}/${where.name}: ${change.created ? 'created' : change.added ? `added ${ns.name}` : `already listed ${ns.name}`} (restored after the test)` });
            return LogAnalyticsSource.connect(logAnalytics, m);
          }
          return connectPrometheus(prometheusUrl ? { kind: 'url', url: prometheusUrl, token: prometheusToken } : { kind: 'in-cluster', kubeConfig: cluster.kubeConfig }, m, { timeoutMs: budgetMs });
        });
        const from = source.description;
        testInfo.annotations.push({ type: 'metrics-source', description: from });
        process.stdout.write(`metrics: read from ${from}\n`);

        // The stages share one deadline; a timeout names the whole metrics budget, not the stage's remainder.
        const poll = async (what: string, condition: ReturnType<typeof targetUp>): Promise<void> => {
          try {
            await waitFor({
              description: `${what} (pod ${ns.name}/${podName}, from ${from})`,
              timeoutMs: remaining(), intervalMs: source!.pollIntervalMs(timeoutMs),
              probe: async () => condition(await source!.snapshot(subject, { timeoutMs: Math.min(budgetMs, remaining()) })),
            });
          } catch (err) {
            if (!(err instanceof WaitTimeoutError)) throw err;
            throw new WaitTimeoutError(`Timed out after ${formatDuration(timeoutMs)} (metrics timeout) waiting for ${err.description}; last seen: ${err.lastObserved}`, err.description, err.lastObserved);
          }
        };
        await test.step('assess: the pod is a scrape target that is up', () => poll('the pod to be a scrape target that is up', targetUp(m)));
        await test.step(`assess: ${m.liveMetric}{${m.namespaceLabel}="${ns.name}"} is 1`, () => poll(`${m.liveMetric} to be 1`, sidecarLive(m)));
        await test.step(`assess: ${m.requestsMetric} (2xx) counts at least the ${sent} successful requests sent through the ingress`, () =>
          poll(`${m.requestsMetric}{${Object.entries(m.successLabels).map(([k, v]) => `${k}="${v}"`).join(',')}} to reach at least ${sent}`, successfulRequestsCounted(m, sent)));
      } finally {
        await source?.close();
      }
    });
}
