// Check `metrics`: the sample's sidecar is scraped, and the mesh's request metrics count at least the requests the
// suite received through the ingress (what "count" means, and which series, is the mesh profile's).
import type { V1Namespace } from '@kubernetes/client-node';
import type { CheckBody, MetricsSource } from '../../fixtures/index.ts';
import { findSamplePod } from './sample-pod.ts';
import {
  LogAnalyticsSource, connectPrometheus, prometheusChoiceOf, expect, formatDuration, ingressHostFor, resourceTypes, runLabels, scrapeAnnotationProblems,
  targetUp, test, waitFor, WaitTimeoutError,
} from '../../fixtures/index.ts';

export const metricsCheck: CheckBody = async ({ cluster, ns, mesh, ingressController, http, runId, metricsCollection, conformanceConfig: config }, testInfo) => {
  const budgetMs = config.timeouts.apply;
  const m = mesh.metrics;
  const sample = mesh.sample;
  const { timeoutMs, prometheusUrl, logAnalytics } = config.metrics;
  // The wait below may be long (Azure Monitor ingestion): keep the test budget above it.
  testInfo.setTimeout(Math.max(testInfo.timeout, timeoutMs + config.timeouts.assert + 60_000));
  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());

  const pod = await findSamplePod(cluster, ns.name, sample, budgetMs);
  const podName = pod.metadata?.name ?? '';
  const podRef = { namespace: ns.name, pod: podName };

  await test.step(`assess: pod ${podName} carries the scrape annotations (${Object.keys(m.podAnnotations).join(', ')})`, async () => {
    const nsObject = await cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });
    const problems = scrapeAnnotationProblems(pod, m, nsObject);
    expect(problems, `Pod ${ns.name}/${podName} cannot be scraped:\n${problems.map((p) => `- ${p}`).join('\n')}`).toEqual([]);
  });

  const sent = http.responsesOfClass(2);
  const source = ingressController
    ? await ingressController.source(cluster, { namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, labels: runLabels(runId), host: ingressHostFor(ns.name) }, budgetMs)
    : undefined;
  let metrics: MetricsSource | undefined;
  try {
    metrics = await test.step('setup: connect to the metrics source', async () => {
      if (!prometheusUrl && logAnalytics) {
        if (!m.logAnalytics) throw new Error(`the ${mesh.title} profile has no Container insights mapping: read its metrics from a Prometheus (--prometheus-url)`);
        if (metricsCollection.collect) {
          const change = await metricsCollection.collect(ns.name);
          testInfo.annotations.push({ type: 'metrics-collection', description: change.summary });
        }
        return LogAnalyticsSource.connect(logAnalytics, m.logAnalytics);
      }
      return connectPrometheus(prometheusChoiceOf(config.metrics, cluster.kubeConfig), m, { timeoutMs: budgetMs });
    });
    const from = metrics.description;
    testInfo.annotations.push({ type: 'metrics-source', description: from });
    process.stdout.write(`metrics: read from ${from}\n`);

    // The stages share one deadline; a timeout names the whole metrics budget, not the stage's remainder.
    const poll = async <T>(what: string, probe: () => Promise<{ done: boolean; observed: string; failure?: string; value?: T }>): Promise<void> => {
      try {
        await waitFor({
          description: `${what} (pod ${ns.name}/${podName}, from ${from})`, timeoutMs: remaining(), probe,
          // Right after the pod's next scrape where the source knows when that is, else its fixed poll.
          intervalMs: metrics!.pollIntervalMs(timeoutMs), nextAttemptInMs: () => metrics!.nextDataInMs(podRef),
        });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
        throw new WaitTimeoutError(`Timed out after ${formatDuration(timeoutMs)} (metrics timeout) waiting for ${err.description}; last seen: ${err.lastObserved}`, err.description, err.lastObserved);
      }
    };
    const call = () => ({ timeoutMs: Math.min(budgetMs, remaining()) });
    await test.step('assess: the pod is a scrape target that is up', () => poll('the pod to be a scrape target that is up', async () => targetUp(await metrics!.target(podRef, call()))));
    for (const a of m.assessments({ namespace: ns.name, pod: podName, sent, source })) {
      await test.step(`assess: ${a.title}`, () => poll(a.description, async () => {
        const seen = a.judge(await metrics!.series(a.series, podRef, call()));
        // Not there yet: learn when the next scrape lands, to ask right after it.
        if (!seen.done && seen.failure === undefined) await metrics!.target(podRef, call()).catch(() => undefined);
        return seen;
      }));
    }
  } finally {
    await metrics?.close();
  }
};
