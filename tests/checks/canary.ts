// Check `canary` (extended): Flagger initialises a Canary for the run's httpbin (issue 15 §6, docs/flagger.md). The check
// creates a Canary for the sample's Deployment and Service, waits (watching it) for phase Initialized, then checks what
// Flagger built: the primary Deployment `<sample>-primary` ready, the mesh's routing object (the profile says which:
// `mesh.flagger.canaryRouting`) sending everything to the primary, the apex Service selecting the primary, and the
// sample scaled to 0. Then it deletes the Canary (its primary, Services and routing object go with it: they are owned
// by it). It runs last: Flagger takes over the sample's Service and scales the sample down.
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import {
  canaryInitialized, canaryIntervalSeconds, canaryManifest, canaryType, deploymentState, expect, flaggerWarnings, formatDuration, resourceTypes, runLabels, test, WaitError, waitForObject,
} from '../../fixtures/index.ts';

export const canaryCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
  const flagger = mesh.flagger;
  if (!flagger) throw new Error(`the ${mesh.title} profile lists the feature progressive-delivery but describes no Flagger provider`);
  const budgetMs = config.timeouts.apply;
  const sample = mesh.sample;
  const name = sample.name;
  const primaryName = `${name}-primary`;
  const canaryRef = { ...canaryType, namespace: ns.name, name };
  const warnings = async (): Promise<string> => {
    const w = await flaggerWarnings(cluster, ns.name, name, budgetMs).catch(() => []);
    return w.length ? `; Flagger's last warnings: ${w.join(' | ')}` : '; Flagger recorded no warning on it';
  };

  try {
    await test.step(`setup: create Canary ${ns.name}/${name} for Deployment ${name} (Service port ${sample.port})`, async () => {
      ns.cleanup.register(await cluster.apply(canaryManifest({ namespace: ns.name, name, target: name, port: sample.port, labels: runLabels(runId) }), { budgetMs }));
    });

    // The primary's rollout, plus up to two of Flagger's ticks: the one that finds the primary not ready yet and the next.
    const limit = config.timeouts.rollout + 2 * canaryIntervalSeconds * 1000;
    await test.step(`assess: Flagger initialises the Canary (status.phase Initialized, within ${formatDuration(limit)})`, async () => {
      try {
        await waitForObject(cluster, canaryType, ns.name, name, `Canary ${ns.name}/${name} to reach phase Initialized (the rollout budget ${formatDuration(config.timeouts.rollout)} plus two of Flagger's ${canaryIntervalSeconds}s analysis intervals)`, canaryInitialized, { timeoutMs: limit });
      } catch (err) {
        if (err instanceof WaitError) throw new Error(`${err.message}${await warnings()}`, { cause: err });
        throw err;
      }
    });

    await test.step(`assess: the primary Deployment ${primaryName} exists and is ready`, async () => {
      const d = await cluster.read<V1Deployment>({ ...resourceTypes.deployment, namespace: ns.name, name: primaryName }, { budgetMs });
      expect(d, `Deployment ${ns.name}/${primaryName} not found after the Canary reached Initialized`).toBeTruthy();
      const state = d ? deploymentState(d) : { ready: false, text: 'absent' };
      expect(state.ready, `Deployment ${ns.name}/${primaryName} is not ready: ${state.text}`).toBe(true);
    });

    const routing = flagger.canaryRouting;
    await test.step(`assess: ${routing.type.kind} ${ns.name}/${name} (${flagger.routing}) routes the Service to the primary`, async () => {
      const obj = await cluster.read<KubernetesObject>({ ...routing.type, namespace: ns.name, name }, { budgetMs });
      expect(obj, `${routing.type.kind} ${ns.name}/${name} (${routing.type.apiVersion}) not found after the Canary reached Initialized: Flagger (-mesh-provider=${flagger.meshProvider}) writes it for ${mesh.title} before it sets Initialized`).toBeTruthy();
      const weights = obj && routing.weights ? routing.weights(obj) : undefined;
      if (weights) {
        expect(weights, `${routing.type.kind} ${ns.name}/${name} weights (primary ${String(weights.primary)}, canary ${String(weights.canary)}): an initialised Canary sends everything to the primary`).toEqual({ primary: 100, canary: 0 });
      }
    });

    await test.step(`assess: Service ${name} selects the primary's pods and Deployment ${name} is scaled to 0`, async () => {
      const svc = await cluster.read<V1Service>({ ...resourceTypes.service, namespace: ns.name, name }, { budgetMs });
      const selector = svc?.spec?.selector ?? {};
      expect(Object.values(selector), `Service ${ns.name}/${name} selector ${JSON.stringify(selector)}: Flagger points the apex Service at the primary`).toContain(primaryName);
      const target = await cluster.read<V1Deployment>({ ...resourceTypes.deployment, namespace: ns.name, name }, { budgetMs });
      expect(target?.spec?.replicas, `Deployment ${ns.name}/${name} spec.replicas: Flagger scales the target to 0 once the primary is ready`).toBe(0);
    });
  } finally {
    // Its primary Deployment, its Services and its routing object are owned by it: the garbage collector removes them.
    await cluster.delete(canaryRef, { budgetMs }).catch(() => false);
  }
};
