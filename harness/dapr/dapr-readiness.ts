/**
 * Dapr next to the mesh (the guide's automation and developer tools section, issue 15 §6, docs/dapr.md): when Dapr
 * runs in the cluster, `check` reports its control plane and, in the namespaces where the mesh injects, whether each
 * Dapr-enabled pod keeps Dapr's control-plane traffic out of the mesh sidecar, as the mesh's Dapr guidance requires.
 *
 * - Found by the Deployment `dapr-sidecar-injector` in any namespace (the Helm chart and `dapr init -k` name it so).
 * - Control plane: the Deployments dapr-operator, dapr-sentry, dapr-sidecar-injector ready, and the placement
 *   server's Service `dapr-placement-server` with a ready endpoint (it is a StatefulSet; its endpoints say the same).
 * - Ports: those of the Services dapr-placement-server, dapr-api and dapr-sentry; a Dapr-enabled pod
 *   (`dapr.io/enabled: "true"`) with the mesh sidecar must have all of them excluded from outbound interception,
 *   where the mesh profile says exclusions come from (`MeshProfile.dapr`).
 */
import type { KubernetesObject, V1Deployment, V1Namespace, V1Pod, V1Service } from '@kubernetes/client-node';
import { KubeApiError } from '../k8s/api-error.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { runLabelKeys } from '../k8s/run-labels.ts';
import { deploymentState, readyEndpoints } from '../readiness/probes.ts';
import type { ReadinessCategory, ReadinessContext } from '../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../readiness/readiness-result.ts';
import { fail, ok, warn } from '../readiness/readiness-result.ts';

/** How a mesh keeps Dapr's traffic out of its sidecar (MeshProfile.dapr). */
export interface MeshDapr {
  /** The outbound ports the mesh sidecar of `pod` does not intercept, and where that was read. */
  outboundPortExclusions(client: KubeClient, pod: V1Pod, budgetMs: number): Promise<{ ports: ReadonlySet<number>; where: string }>;
  /** What to do about missing ports, for the hint. */
  hint(ports: readonly number[]): string;
  /** The mesh's Dapr guidance, for messages and docs. */
  source: string;
  /** The pod annotations that exclude `ports` from the mesh sidecar's outbound interception (what the guidance has users add). */
  exclusionAnnotations(ports: readonly number[]): Record<string, string>;
  /**
   * What the mesh's Dapr guidance says about Dapr's own mTLS (the global Configuration's `spec.mtls.enabled`): the
   * verdict when it is on, and why. Absent: the profile says nothing, the line only reports it.
   */
  mtlsEnabled?: { status: 'warn' | 'fail'; why: string; hint: string };
  /** Why an answer did not pass through the mesh's sidecars (undefined: it did), from its headers. */
  throughMesh(headers: Record<string, string | string[] | undefined>): string | undefined;
  /** How the answer shows it came through the mesh, for step titles. */
  throughMeshDescription: string;
}

export const daprEnabledAnnotation = 'dapr.io/enabled';
const controlPlaneDeployments = ['dapr-operator', 'dapr-sentry', 'dapr-sidecar-injector'] as const;
/** The Services whose ports a Dapr sidecar dials (OSM's Dapr demo: placement 50005/8201, dapr-api and dapr-sentry 80). */
export const daprControlPlaneServices = ['dapr-placement-server', 'dapr-api', 'dapr-sentry'] as const;

/** The ports of `required` missing from `excluded`, sorted. */
export function missingPorts(required: readonly number[], excluded: ReadonlySet<number>): number[] {
  return [...new Set(required)].filter((p) => !excluded.has(p)).sort((a, b) => a - b);
}

/** Where Dapr's control plane runs and what is wrong with it: the finding `check` reports and the feature probe uses. */
export interface DaprControlPlane {
  namespace: string;
  /** Problems of the Deployments dapr-operator, dapr-sentry, dapr-sidecar-injector (what service invocation needs). */
  deploymentProblems: string[];
  /** Ready endpoints of the placement server (actors only). */
  placementEndpoints: number;
}

/** Dapr's control plane, found by the Deployment dapr-sidecar-injector in any namespace; undefined: not installed. */
export async function findDaprControlPlane(client: KubeClient, budgetMs: number): Promise<DaprControlPlane | undefined> {
  const deployments = (await client.list<V1Deployment>(resourceTypes.deployment, {}, { budgetMs })).items;
  const injector = deployments.find((d) => d.metadata?.name === 'dapr-sidecar-injector');
  if (!injector) return undefined;
  const ns = injector.metadata?.namespace ?? '?';
  const deploymentProblems: string[] = [];
  for (const name of controlPlaneDeployments) {
    const d = deployments.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
    if (!d) deploymentProblems.push(`Deployment ${name} not found`);
    else if (!deploymentState(d).ready) deploymentProblems.push(`Deployment ${name} ${deploymentState(d).text}`);
  }
  return { namespace: ns, deploymentProblems, placementEndpoints: await readyEndpoints(client, ns, 'dapr-placement-server', budgetMs) };
}

/** The ports of Dapr's control-plane Services a daprd dials (read from the cluster), and how to show them. */
export async function daprControlPlanePorts(client: KubeClient, namespace: string, budgetMs: number): Promise<{ ports: number[]; shown: string[] }> {
  const ports: number[] = [];
  const shown: string[] = [];
  for (const name of daprControlPlaneServices) {
    const svc = await client.read<V1Service>({ ...resourceTypes.service, namespace, name }, { budgetMs });
    const own = (svc?.spec?.ports ?? []).map((p) => p.port);
    ports.push(...own);
    if (own.length) shown.push(`${name} ${own.join('/')}`);
  }
  return { ports: [...new Set(ports)].sort((a, b) => a - b), shown };
}

/** Dapr's global Configuration (configurations.dapr.io) the control plane reads. */
export const daprSystemConfiguration = { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', plural: 'configurations', namespaced: true, name: 'daprsystem' } as const;

/**
 * Why the extended check `dapr-invocation` cannot run here (undefined: it can): Dapr is not installed, or the parts
 * service invocation needs (operator, sentry, injector) are not ready. The placement server serves actors only.
 */
export async function daprInvocationUnavailable(client: KubeClient, budgetMs: number): Promise<string | undefined> {
  let cp: DaprControlPlane | undefined;
  try {
    cp = await findDaprControlPlane(client, budgetMs);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return 'the run may not list Deployments cluster-wide (forbidden) to find Dapr\'s control plane: grant list on deployments (deploy/rbac.yaml does)';
    throw err;
  }
  if (!cp) return 'Dapr is not installed (no Deployment dapr-sidecar-injector in any namespace): install it as the mesh\'s Dapr guide says (`kind-up --with dapr` on kind)';
  if (cp.deploymentProblems.length) return `Dapr's control plane in ${cp.namespace} is not ready: ${cp.deploymentProblems.join('; ')}`;
  return undefined;
}

async function mtlsLine(ctx: ReadinessContext, ns: string): Promise<ReadinessLine> {
  const { name, ...type } = daprSystemConfiguration;
  let config: (KubernetesObject & { spec?: { mtls?: { enabled?: boolean } } }) | undefined;
  try {
    config = await ctx.client.read({ ...type, namespace: ns, name }, { budgetMs: ctx.budgetMs });
  } catch (err) {
    if (err instanceof KubeApiError && (err.code === 403 || err.code === 404)) return warn('dapr/mtls', `cannot read Configuration ${ns}/${name} (${err.code === 403 ? 'forbidden' : 'the Configuration CRD is not served'})`, 'grant get on configurations.dapr.io to report Dapr\'s mTLS setting');
    throw err;
  }
  if (!config) return warn('dapr/mtls', `Dapr's global Configuration ${ns}/${name} not found: its control plane falls back to its defaults (mTLS on)`, `\`kubectl -n ${ns} get configurations.dapr.io\``);
  // Dapr turns mTLS on unless the Configuration says otherwise (Helm global.mtls.enabled, default true).
  const enabled = config.spec?.mtls?.enabled !== false;
  const where = `Configuration ${ns}/${name} spec.mtls.enabled=${String(config.spec?.mtls?.enabled ?? '<unset: true>')}`;
  const guidance = ctx.mesh.dapr?.mtlsEnabled;
  if (!enabled) return ok('dapr/mtls', `Dapr's own mTLS is off (${where})${ctx.mesh.dapr ? `: ${ctx.mesh.title} provides mTLS between the pods` : ''}`);
  if (!guidance) return ok('dapr/mtls', `Dapr's own mTLS is on (${where})`);
  const line = guidance.status === 'fail' ? fail : warn;
  return line('dapr/mtls', `Dapr's own mTLS is on (${where}): ${guidance.why}`, guidance.hint);
}

async function daprLines(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  let cp: DaprControlPlane | undefined;
  try {
    cp = await findDaprControlPlane(ctx.client, ctx.budgetMs);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return [warn('dapr', 'cannot list Deployments cluster-wide (forbidden) to look for Dapr', 'grant list on deployments to report on Dapr')];
    throw err;
  }
  if (!cp) return [ok('dapr', 'Dapr not installed (optional)')];
  const ns = cp.namespace;

  const lines: ReadinessLine[] = [];
  const problems = [...cp.deploymentProblems];
  const placementEndpoints = cp.placementEndpoints;
  if (!placementEndpoints) problems.push('Service dapr-placement-server has no ready endpoint');
  lines.push(problems.length
    ? fail('dapr/control-plane', `Dapr's control plane in ${ns} is not ready: ${problems.join('; ')}`, `\`kubectl -n ${ns} get pods\` (\`dapr status -k\`)`)
    : ok('dapr/control-plane', `Dapr's control plane in ${ns}: ${controlPlaneDeployments.join(', ')} ready, dapr-placement-server with ${placementEndpoints} ready endpoint${placementEndpoints === 1 ? '' : 's'}`));

  lines.push(await mtlsLine(ctx, ns));

  // The ports Dapr's sidecar dials on its control plane, read from the Services.
  const { ports: required, shown: portSources } = await daprControlPlanePorts(ctx.client, ns, ctx.budgetMs);

  const namespaces = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items
    .filter((n) => !n.metadata?.labels?.[runLabelKeys.runId] && ctx.mesh.onboarding.injectionEnabled(n)).map((n) => n.metadata?.name ?? '?');
  const pods: V1Pod[] = [];
  for (const name of namespaces) {
    const items = (await ctx.client.list<V1Pod>(resourceTypes.pod, { namespace: name }, { budgetMs: ctx.budgetMs })).items;
    pods.push(...items.filter((p) => p.metadata?.annotations?.[daprEnabledAnnotation] === 'true' && !p.metadata?.deletionTimestamp && ctx.mesh.sidecar.present(p)));
  }
  if (!pods.length) {
    lines.push(ok('dapr/ports', `no Dapr-enabled pod with the ${ctx.mesh.sidecar.containerName} sidecar in the mesh's namespaces${namespaces.length ? ` (${namespaces.join(', ')})` : ''}`));
    return lines;
  }
  const guidance = ctx.mesh.dapr;
  if (!guidance) {
    lines.push(ok('dapr/ports', `${pods.length} Dapr-enabled pod${pods.length === 1 ? '' : 's'} in the mesh; the ${ctx.mesh.title} profile documents no port exclusions for Dapr, so none are checked`));
    return lines;
  }
  for (const pod of pods) {
    const id = `dapr/ports/${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;
    const { ports, where } = await guidance.outboundPortExclusions(ctx.client, pod, ctx.budgetMs);
    const missing = missingPorts(required, ports);
    if (!missing.length) lines.push(ok(id, `Pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}: Dapr's control-plane ports (${portSources.join(', ')}) are excluded from the sidecar (${where})`));
    else {
      lines.push(fail(id, `Pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'} runs Dapr and the ${ctx.mesh.sidecar.containerName} sidecar, but outbound port${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of Dapr's control plane (${portSources.join(', ')}) ${missing.length === 1 ? 'is' : 'are'} not excluded (${where}): the sidecar intercepts Dapr's own traffic (${guidance.source})`,
        guidance.hint(missing)));
    }
  }
  return lines;
}

/** The Dapr category. */
export function daprCategory(): ReadinessCategory {
  return { id: 'dapr', title: 'Dapr', checkers: [{ id: 'dapr', description: 'Dapr\'s control plane and the port exclusions of Dapr-enabled pods in the mesh', fatal: false, check: daprLines }] };
}
