/**
 * Flagger, the guide's progressive-delivery tool (issue 15 §6, docs/flagger.md): when it runs in the cluster, `check`
 * reports whether it is set up for this mesh and whether its metrics server answers.
 *
 * - Found by its container image (`ghcr.io/fluxcd/flagger`, any registry) in any namespace: the Helm chart and the
 *   kustomize overlays label it differently, the image is what they share.
 * - `-mesh-provider` must be the one the mesh profile names (Flagger's default, when the flag is absent, is `istio`:
 *   cmd/flagger/main.go).
 * - `-metrics-server` (default `http://prometheus:9090`) must answer as Prometheus: Flagger's canary analysis queries
 *   it, and a canary whose metrics cannot be read is rolled back.
 */
import type { KubernetesObject, V1Container, V1Deployment } from '@kubernetes/client-node';
import { KubeApiError } from '../k8s/api-error.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import type { ResourceType } from '../k8s/resources.ts';
import { probePrometheusUrl } from '../metrics/prometheus-url-probe.ts';
import { deploymentState } from '../readiness/probes.ts';
import type { ReadinessCategory, ReadinessContext } from '../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../readiness/readiness-result.ts';
import { fail, ok, warn } from '../readiness/readiness-result.ts';

/** How a mesh works with Flagger (MeshProfile.flagger). */
export interface MeshFlagger {
  /** Flagger's `-mesh-provider` value for this mesh. */
  meshProvider: string;
  /** The routing objects Flagger writes for this provider, for messages and docs. */
  routing: string;
  /**
   * The routing object Flagger writes for a Canary, named like the Canary's apex Service (the extended check
   * `canary` reads it): the type and the weight it gives the primary and the canary, when the object carries them.
   */
  canaryRouting: { type: ResourceType; weights?(obj: KubernetesObject): { primary: number | undefined; canary: number | undefined } };
  /** How the guide installs Flagger for this mesh, for hints. */
  installHint: string;
}

/** Flagger's defaults (cmd/flagger/main.go). */
export const flaggerDefaults = { meshProvider: 'istio', metricsServer: 'http://prometheus:9090' } as const;

/** The value of a Go `flag` in a container's command and args (`-name=value`, `--name=value`, `-name value`). */
export function goFlag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] ?? '';
    const m = new RegExp(`^--?${name}(?:=(.*))?$`).exec(a);
    if (m) return m[1] ?? args[i + 1];
  }
  return undefined;
}

/** Whether a container runs Flagger (repository `…/flagger`, any tag or digest). */
export function isFlaggerContainer(c: V1Container): boolean {
  const repo = (c.image ?? '').split('@')[0]!.replace(/:[^/]*$/, '');
  return /(^|\/)flagger$/.test(repo);
}

/** Flagger's deployments in the cluster, with the container that runs it. */
export async function flaggerDeployments(client: KubeClient, budgetMs: number): Promise<{ deployment: V1Deployment; container: V1Container }[]> {
  const all = (await client.list<V1Deployment>(resourceTypes.deployment, {}, { budgetMs })).items;
  return all.flatMap((d) => {
    const c = d.spec?.template.spec?.containers.find(isFlaggerContainer);
    return c ? [{ deployment: d, container: c }] : [];
  });
}

async function flaggerLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const want = ctx.mesh.flagger;
  let found: Awaited<ReturnType<typeof flaggerDeployments>>;
  try {
    found = await flaggerDeployments(ctx.client, ctx.budgetMs);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return [warn('flagger', 'cannot list Deployments cluster-wide (forbidden) to look for Flagger', 'grant list on deployments to report on Flagger')];
    throw err;
  }
  if (!found.length) return [ok('flagger', `Flagger not installed (optional${want ? `: ${want.installHint}` : ''})`)];
  const lines: ReadinessLine[] = [];
  for (const { deployment: d, container: c } of found) {
    const ns = d.metadata?.namespace ?? '?';
    const name = `${ns}/${d.metadata?.name ?? '?'}`;
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    const state = deploymentState(d);
    if (!state.ready) {
      lines.push(fail(`flagger/${name}`, `Flagger Deployment ${name} (${c.image ?? '?'}) is not ready: ${state.text}`, `\`kubectl -n ${ns} describe deployment ${d.metadata?.name ?? ''}\` and its pod's logs`));
      continue;
    }
    const provider = goFlag(args, 'mesh-provider');
    const effective = provider ?? flaggerDefaults.meshProvider;
    if (!want) {
      lines.push(warn(`flagger/${name}/provider`, `Flagger ${name} runs with -mesh-provider=${effective}; the ${ctx.mesh.title} profile names no Flagger provider`, 'Flagger cannot route canaries for this mesh'));
    } else if (effective !== want.meshProvider) {
      lines.push(fail(`flagger/${name}/provider`,
        `Flagger ${name} runs with -mesh-provider=${effective}${provider === undefined ? ' (the default: the flag is absent)' : ''}, not ${want.meshProvider}: it would write the wrong routing objects for ${ctx.mesh.title} (this mesh needs ${want.routing})`,
        `reinstall Flagger for this mesh: ${want.installHint}`));
    } else {
      lines.push(ok(`flagger/${name}/provider`, `Flagger ${name} ready (${state.text}), -mesh-provider=${effective}: canaries are routed with ${want.routing}`));
    }
    const metricsServer = goFlag(args, 'metrics-server') ?? flaggerDefaults.metricsServer;
    const probe = await probePrometheusUrl(ctx.client, metricsServer, ns, ctx.budgetMs);
    const flagNote = goFlag(args, 'metrics-server') === undefined ? ' (the default: the flag is absent)' : '';
    const hint = `point -metrics-server (Helm value metricsServer) at the mesh's Prometheus${ctx.mesh.metrics.prometheus ? ` (http://${ctx.mesh.metrics.prometheus.service}.${ctx.mesh.metrics.prometheus.namespace}.svc:${ctx.mesh.metrics.prometheus.port})` : ''}: canaries whose metrics cannot be read are rolled back`;
    if (probe.kind === 'answers') lines.push(ok(`flagger/${name}/metrics-server`, `Flagger's metrics server ${metricsServer} answers as Prometheus ${probe.version}`));
    else if (probe.kind === 'outside-cluster') lines.push(ok(`flagger/${name}/metrics-server`, `Flagger's metrics server ${metricsServer} is outside the cluster and not probed`));
    else if (probe.kind === 'no-service') lines.push(fail(`flagger/${name}/metrics-server`, `Flagger's metrics server ${metricsServer}${flagNote} does not answer: Service ${probe.service} not found`, hint));
    else lines.push(fail(`flagger/${name}/metrics-server`, `Flagger's metrics server ${metricsServer}${flagNote} does not answer: GET /api/v1/status/buildinfo through ${probe.where} ${probe.why}`, hint));
  }
  return lines;
}

/** The Flagger category (after the metrics backend). */
export function flaggerCategory(): ReadinessCategory {
  return { id: 'flagger', title: 'Progressive delivery (Flagger)', checkers: [{ id: 'flagger', description: 'Flagger\'s mesh provider and metrics server', fatal: false, check: flaggerLines }] };
}
