// Check `dapr-invocation` (extended): Dapr runs beside the mesh sidecar. A Dapr-enabled client in the run's
// namespace, with the control-plane ports excluded from the sidecar's outbound interception as the mesh's Dapr
// guidance says (MeshProfile.dapr), runs with every container ready (the app, daprd, the mesh sidecar); then Dapr's
// service invocation of the sample, called on daprd's HTTP API through a port-forward (the API is bound to the pod's
// localhost), returns 200 through the mesh: daprd's request leaves through the client's sidecar and enters the sample
// through its own. The sample is invoked by URL, as a non-Dapr endpoint (Dapr ≥ 1.11), so the core sample is left
// as it is. docs/dapr.md.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { CheckBody, ForwardedPort } from '../../fixtures/index.ts';
import {
  daprControlPlanePorts, daprEnabledAnnotation, expect, findDaprControlPlane, forwardPodPort, getThroughForward, intervals, requireConsecutive,
  runLabels, test, waitFor, waitForPodRunningAndReady, withSampleOverrides,
} from '../../fixtures/index.ts';

/** The client's name and Dapr app id. */
const clientName = 'dapr-client';
/** daprd's HTTP API port (the injector's `--dapr-http-port`, default 3500), bound to the pod's localhost. */
const daprHttpPort = 3500;

export const daprInvocationCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }, testInfo) => {
  const dapr = mesh.dapr;
  if (!dapr) throw new Error(`the ${mesh.title} profile lists the feature dapr but gives no Dapr guidance (MeshProfile.dapr)`);
  const budgetMs = config.timeouts.apply;
  const sample = withSampleOverrides(mesh.sample, config);
  const sidecar = mesh.sidecar;
  const labels = runLabels(runId);

  const exclusions = await test.step('setup: read the ports of Dapr\'s control plane the mesh must not intercept', async () => {
    const cp = await findDaprControlPlane(cluster, budgetMs);
    if (!cp) throw new Error('Dapr is no longer installed (no Deployment dapr-sidecar-injector)');
    const found = await daprControlPlanePorts(cluster, cp.namespace, budgetMs);
    expect(found.ports.length, `the Services of Dapr's control plane in ${cp.namespace} (dapr-api, dapr-sentry, dapr-placement-server) have no ports`).toBeGreaterThan(0);
    return found;
  });
  const annotations = { [daprEnabledAnnotation]: 'true', 'dapr.io/app-id': clientName, ...dapr.exclusionAnnotations(exclusions.ports) };

  await test.step(`setup: deploy ${clientName}, Dapr-enabled, with ports ${exclusions.ports.join(', ')} excluded from the ${sidecar.containerName} sidecar (${Object.entries(annotations).map(([k, v]) => `${k}: "${v}"`).join(', ')})`, async () => {
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: clientName, namespace: ns.name, labels: { app: clientName, ...labels } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: clientName } },
        template: {
          metadata: { labels: { app: clientName, ...labels }, annotations },
          spec: {
            // The sample's image, which every target can pull; the client only needs to run beside daprd.
            containers: [{
              name: 'app', image: sample.image, imagePullPolicy: 'IfNotPresent',
              ...(sample.command ? { command: [...sample.command] } : {}), ...(sample.args ? { args: [...sample.args] } : {}),
              ports: [{ containerPort: sample.targetPort }],
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            }],
          },
        },
      },
    };
    ns.cleanup.register(await cluster.apply(deployment, { budgetMs }));
  });

  const pod = await test.step(`assess: ${clientName} runs with 3/3 containers ready (app, daprd, ${sidecar.containerName})`, async () => {
    const { value } = await waitForPodRunningAndReady(cluster, ns.name, `app=${clientName}`, { timeoutMs: config.timeouts.rollout, expectedContainers: 3 });
    const names = (value?.spec?.containers ?? []).map((c) => c.name);
    expect(names, `Pod ${ns.name}/${value?.metadata?.name ?? '?'} containers: Dapr's sidecar injector did not add daprd`).toContain('daprd');
    const problems = value ? sidecar.problems(value) : ['no pod'];
    expect(problems, `Pod ${ns.name}/${value?.metadata?.name ?? '?'} is not injected with the mesh sidecar:\n${problems.map((p) => `- ${p}`).join('\n')}`).toEqual([]);
    return value as V1Pod;
  });
  const podName = pod.metadata?.name ?? '';

  let forward: ForwardedPort | undefined;
  try {
    forward = await test.step(`setup: port-forward to daprd's HTTP API (port ${daprHttpPort}, bound to the pod's localhost)`,
      () => forwardPodPort(cluster.kubeConfig, ns.name, podName, daprHttpPort));
    const fwd = forward;

    await test.step('assess: daprd reports itself healthy (GET /v1.0/healthz → 204)', async () => {
      await waitFor<true>({
        description: `daprd of Pod ${ns.name}/${podName} to answer GET /v1.0/healthz with 204 (through ${fwd.where})`,
        timeoutMs: config.timeouts.assert, intervalMs: intervals.httpRetry,
        probe: async () => {
          const res = await getThroughForward(fwd, '/v1.0/healthz', { timeoutMs: budgetMs });
          return res.status === 204 ? { done: true, observed: '204', value: true } : { done: false, observed: `${res.status} ${res.body.slice(0, 200)}` };
        },
      });
    });

    const target = `http://${sample.name}.${ns.name}.svc.cluster.local:${sample.port}`;
    const path = `/v1.0/invoke/${target}/method/get`;
    const times = config.consecutiveSuccesses;
    const seen: string[] = [];
    await test.step(`assess: GET ${path} on daprd returns 200 from ${sample.name} through the mesh (${dapr.throughMeshDescription}) ${times} times in a row`, async () => {
      await requireConsecutive({
        description: `Dapr service invocation of ${target}/get from Pod ${ns.name}/${podName} (GET ${path} through ${fwd.where}) to return 200 ${dapr.throughMeshDescription}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: async () => {
          const res = await getThroughForward(fwd, path, { timeoutMs: intervals.httpRequest });
          const notThrough = res.status === 200 ? dapr.throughMesh(res.headers) : undefined;
          const observed = `${res.status}${res.status === 200 ? '' : ` ${res.body.slice(0, 300)}`}${notThrough ? ` (${notThrough})` : ''}`;
          seen.push(observed);
          return { ok: res.status === 200 && !notThrough, observed };
        },
      });
    });
    if (seen.length) await testInfo.attach('dapr invocations', { body: seen.join('\n'), contentType: 'text/plain' });
  } finally {
    await forward?.close();
  }
};
