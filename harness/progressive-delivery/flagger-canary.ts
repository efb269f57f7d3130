/**
 * The extended check `canary` (issue 15 §6, docs/flagger.md): Flagger initialises a Canary for the run's httpbin. This
 * module holds what the check needs and nothing mesh-specific: the Canary (flagger.app/v1beta1) it creates, the
 * verdict on its status while Flagger initialises it, Flagger's warnings on it, and the feature probe the mesh
 * profiles that list `progressive-delivery` answer with (a ready Flagger driving this mesh, the Canary CRD served).
 * Which routing object Flagger writes comes from the mesh profile (`MeshProfile.flagger.canaryRouting`).
 */
import type { CoreV1Event, KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { FeatureProbeContext } from '../checks/features.ts';
import type { ResourceType } from '../k8s/resources.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { deploymentState } from '../readiness/probes.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { MeshFlagger } from './flagger-readiness.ts';
import { flaggerDefaults, flaggerDeployments, goFlag } from './flagger-readiness.ts';

/** The feature the check exercises, listed by the mesh profiles Flagger supports. */
export const canaryFeature = 'progressive-delivery';

export const canaryType = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', plural: 'canaries', namespaced: true } as const satisfies ResourceType;
const canaryCrdName = 'canaries.flagger.app';
const crdType = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false } as const;

/**
 * The analysis interval the check's Canary asks for: Flagger runs a Canary's job at once and then on every interval,
 * and initialisation takes a second run once the primary is ready (pkg/controller/job.go, scheduler.go); 10s is the
 * least Flagger accepts (GetAnalysisInterval).
 */
export const canaryIntervalSeconds = 10;

/** Why the cluster cannot run the check (undefined: it can): no ready Flagger for this mesh, or no Canary CRD. */
export async function flaggerCanaryUnavailable(flagger: MeshFlagger, meshTitle: string, ctx: FeatureProbeContext): Promise<string | undefined> {
  const found = await flaggerDeployments(ctx.client, ctx.budgetMs);
  if (!found.length) return `no Flagger runs in the cluster: install it for ${meshTitle}: ${flagger.installHint}`;
  const described = found.map(({ deployment: d, container: c }) => {
    const provider = goFlag([...(c.command ?? []), ...(c.args ?? [])], 'mesh-provider');
    return { name: `${d.metadata?.namespace ?? '?'}/${d.metadata?.name ?? '?'}`, provider: provider ?? flaggerDefaults.meshProvider, defaulted: provider === undefined, state: deploymentState(d) };
  });
  const matching = described.filter((f) => f.provider === flagger.meshProvider);
  if (!matching.length) {
    const list = described.map((f) => `${f.name} runs with -mesh-provider=${f.provider}${f.defaulted ? ' (the default: the flag is absent)' : ''}`).join('; ');
    return `Flagger ${list}, not ${flagger.meshProvider}: it would write the wrong routing objects for ${meshTitle} (this mesh needs ${flagger.routing}); reinstall it: ${flagger.installHint}`;
  }
  const ready = matching.find((f) => f.state.ready);
  if (!ready) return `Flagger ${matching.map((f) => `${f.name} is not ready (${f.state.text})`).join('; ')}`;
  const crd = await ctx.client.read<V1CustomResourceDefinition>({ ...crdType, name: canaryCrdName }, { budgetMs: ctx.budgetMs });
  if (!crd) return `CustomResourceDefinition ${canaryCrdName} not found: Flagger's chart installs it (crd.create=true), or \`kubectl apply -f https://raw.githubusercontent.com/fluxcd/flagger/main/artifacts/flagger/crd.yaml\``;
  const [group, version] = canaryType.apiVersion.split('/');
  if (!crd.spec.versions.some((v) => v.served && v.name === version)) return `CustomResourceDefinition ${canaryCrdName} does not serve ${group ?? ''}/${version ?? ''}: upgrade Flagger's CRDs`;
  return undefined;
}

/** A Canary for a Deployment and its apex Service, labelled like the run's other objects. */
export function canaryManifest(p: { namespace: string; name: string; target: string; port: number; labels: Record<string, string> }): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: canaryType.apiVersion,
    kind: canaryType.kind,
    metadata: { name: p.name, namespace: p.namespace, labels: { ...p.labels } },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: p.target },
      service: { port: p.port, targetPort: p.port },
      // The check stops at initialisation; this is what a promotion would use (Flagger's docs' defaults, faster).
      analysis: { interval: `${canaryIntervalSeconds}s`, threshold: 5, maxWeight: 50, stepWeight: 10 },
    },
  };
}

interface CanaryStatus {
  phase?: string;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

/** Flagger's verdict while it initialises a Canary: done at `Initialized`; `Failed` is final (Flagger's message). */
export function canaryInitialized(obj: KubernetesObject | undefined): Observation<KubernetesObject> {
  if (!obj) return { done: false, observed: 'the Canary does not exist' };
  const status = (obj as { status?: CanaryStatus }).status ?? {};
  const promoted = status.conditions?.find((c) => c.type === 'Promoted');
  const observed = `phase=${status.phase || '<none>'}${promoted ? `, Promoted=${promoted.status ?? '?'} (${promoted.reason ?? ''}: ${promoted.message ?? ''})` : ''}`;
  if (status.phase === 'Initialized' && promoted?.status === 'True') return { done: true, observed, value: obj };
  if (status.phase === 'Failed') return { done: false, observed, failure: `Flagger marked the Canary Failed: ${promoted?.message ?? 'no message'}` };
  return { done: false, observed };
}

/** The newest Warning events Flagger recorded on a Canary (what it retries on), newest last. */
export async function flaggerWarnings(client: { list: <T extends KubernetesObject>(type: { apiVersion: string; kind: string }, q: { namespace?: string; fieldSelector?: string }, o: { budgetMs: number }) => Promise<{ items: T[] }> },
  namespace: string, name: string, budgetMs: number, limit = 3): Promise<string[]> {
  const events = (await client.list<CoreV1Event>(resourceTypes.event, { namespace, fieldSelector: `involvedObject.kind=Canary,involvedObject.name=${name}` }, { budgetMs })).items;
  return events
    .filter((e) => e.type === 'Warning')
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
    .slice(-limit)
    .map((e) => `${e.message ?? ''}${(e.count ?? 1) > 1 ? ` (×${e.count ?? 1})` : ''}`);
}
