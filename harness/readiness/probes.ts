/**
 * The one implementation of each readiness probe a profile needs: a control-plane Deployment (ready replicas,
 * restarts), a CRD (established, serving a version), an admission webhook (a configuration that calls a service
 * with ready endpoints), a Service's ready endpoints, a version against a supported range. Profiles compose them
 * into their categories; `check` and pre-flight both run those categories, so nothing is checked twice.
 */
import type {
  V1CustomResourceDefinition, V1Deployment, V1Endpoints, V1MutatingWebhookConfiguration, V1Pod, V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import type { ReadinessLine } from './readiness-result.ts';
import { fail, ok, warn } from './readiness-result.ts';

const types = {
  crd: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
  mutating: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
  validating: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
  endpoints: { apiVersion: 'v1', kind: 'Endpoints' },
} as const;

/** "1/2 ready (Available=False: MinimumReplicasUnavailable)" */
export function deploymentState(d: V1Deployment): { ready: boolean; text: string } {
  const want = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const avail = d.status?.conditions?.find((c) => c.type === 'Available');
  return {
    ready: want > 0 && ready >= want,
    text: `${ready}/${want} ready${avail && avail.status !== 'True' ? ` (Available=${avail.status}${avail.reason ? `: ${avail.reason}` : ''})` : ''}`,
  };
}

/** Ready endpoint addresses of a Service (0 when it has no Endpoints object). */
export async function readyEndpoints(client: KubeClient, namespace: string, name: string, budgetMs: number): Promise<number> {
  const ep = await client.read<V1Endpoints>({ ...types.endpoints, namespace, name }, { budgetMs });
  return (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}

/** What a control-plane Deployment line needs besides the object. */
export interface DeploymentExpectation {
  /** Line id: `control-plane/<deployment>`. */
  id: string;
  namespace: string;
  name: string;
  /** What to do when it does not exist (install the mesh, enable the add-on). */
  installHint: string;
  /** Why the suite needs it, for the not-ready hint. */
  role?: string;
}

/**
 * One line for a control-plane Deployment: missing (fail, install hint), scaled to 0 or not ready (fail), ready
 * with restarts (warn, the last reason), ready. Returns the object too, for version and label checks.
 */
export async function deploymentLine(client: KubeClient, e: DeploymentExpectation, budgetMs: number): Promise<{ line: ReadinessLine; deployment: V1Deployment | undefined }> {
  const opts = { budgetMs };
  const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: e.namespace, name: e.name }, opts);
  if (!d) return { line: fail(e.id, `Deployment ${e.namespace}/${e.name} not found`, e.installHint), deployment: undefined };
  const state = deploymentState(d);
  const selector = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = selector ? (await client.list<V1Pod>(resourceTypes.pod, { namespace: e.namespace, labelSelector: selector }, opts)).items : [];
  const statuses = pods.flatMap((p) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]);
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const last = statuses.map((c) => c.lastState?.terminated?.reason).find(Boolean);
  const scaledDown = d.spec?.replicas === 0 ? ' (scaled to 0 replicas)' : '';
  const text = `${e.name}: ${state.text}${scaledDown}, ${restarts ? `${restarts} restart${restarts === 1 ? '' : 's'}${last ? ` (last: ${last})` : ''}` : 'no restarts'}`;
  const line = !state.ready && scaledDown
    ? fail(e.id, text, `scale it back: \`kubectl -n ${e.namespace} scale deploy/${e.name} --replicas=1\` (a managed add-on reconciles it)`)
    : !state.ready ? fail(e.id, text, `look at \`kubectl -n ${e.namespace} describe deploy/${e.name}\` and its pods' events; the suite needs a working ${e.name}${e.role ? ` (${e.role})` : ''}`)
      : restarts ? warn(e.id, text, `see why it restarted: \`kubectl -n ${e.namespace} logs deploy/${e.name} --previous\``)
        : ok(e.id, text);
  return { line, deployment: d };
}

/** The version a control-plane Deployment declares (a label, else the tag of its first image). */
export function deploymentVersion(d: V1Deployment, label = 'app.kubernetes.io/version'): string | undefined {
  const fromLabel = d.metadata?.labels?.[label];
  if (fromLabel) return fromLabel;
  const image = d.spec?.template.spec?.containers[0]?.image?.replace(/@.*$/, '');
  const tag = image?.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : undefined;
  return tag && !tag.includes('/') ? tag : undefined;
}

/** One line for a CRD: missing, not established, not serving `version`, or fine. */
export async function crdLine(client: KubeClient, e: { id: string; name: string; version: string; installHint: string; versionHint: string }, budgetMs: number): Promise<ReadinessLine> {
  const crd = await client.read<V1CustomResourceDefinition>({ ...types.crd, name: e.name }, { budgetMs });
  if (!crd) return fail(e.id, `CustomResourceDefinition ${e.name} not found`, e.installHint);
  const established = crd.status?.conditions?.find((c) => c.type === 'Established');
  const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
  if (established && established.status !== 'True') return fail(e.id, `CustomResourceDefinition ${e.name} is not established (${established.reason ?? established.status})`, `\`kubectl get crd ${e.name} -o yaml\` shows why`);
  if (!served.includes(e.version)) return fail(e.id, `CustomResourceDefinition ${e.name} does not serve ${e.version} (serves ${served.join(', ') || 'nothing'})`, e.versionHint);
  return ok(e.id, `CustomResourceDefinition ${e.name} serves ${e.version}`);
}

type WebhookConfiguration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;

/** What one admission webhook must look like: a configuration calling a service, backed by ready endpoints. */
export interface WebhookExpectation {
  id: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  service: { namespace: string; name: string };
  /** Further filter on the configuration (a revision label), besides calling the service. */
  matches?: (config: WebhookConfiguration) => boolean;
  /** The line when no configuration calls the service (a missing injector fails; a missing validator may only warn). */
  absent: (id: string, text: string) => ReadinessLine;
  /** What breaks when the service has no ready endpoint. */
  noBackend: string;
  backendHint: string;
}

/** The configurations of a kind that call a service. */
export async function webhooksCalling(client: KubeClient, kind: WebhookExpectation['kind'], service: { namespace: string; name: string }, budgetMs: number): Promise<WebhookConfiguration[]> {
  const type = kind === 'MutatingWebhookConfiguration' ? types.mutating : types.validating;
  const all = (await client.list<WebhookConfiguration>(type, {}, { budgetMs })).items;
  return all.filter((h) => (h.webhooks ?? []).some((w) => w.clientConfig.service?.name === service.name && w.clientConfig.service.namespace === service.namespace));
}

/** One line for an admission webhook: no configuration calls the service, it calls one without ready endpoints, or fine. */
export async function webhookLine(client: KubeClient, w: WebhookExpectation, budgetMs: number): Promise<ReadinessLine> {
  const config = (await webhooksCalling(client, w.kind, w.service, budgetMs)).find((c) => w.matches?.(c) ?? true);
  if (!config) return w.absent(w.id, `no ${w.kind} calls ${w.service.name} in ${w.service.namespace}`);
  const what = `${w.kind} ${config.metadata?.name ?? '?'} calls ${w.service.name}`;
  const n = await readyEndpoints(client, w.service.namespace, w.service.name, budgetMs);
  return n ? ok(w.id, `${what} (${n} ready endpoint${n === 1 ? '' : 's'})`) : fail(w.id, `${what}, which has no ready endpoint: ${w.noBackend}`, w.backendHint);
}

/** Parses `v1.29.4+k3s1` into [1, 29, 4]. */
export function parseKubeVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** `a` sorts before `b` (component-wise). */
export function versionBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/**
 * One line judging the Kubernetes server version against what a mesh release supports: a warning outside the range
 * (`min` inclusive, `max` minor inclusive), with the source of the range in the hint.
 */
export function kubernetesRangeLine(id: string, serverVersion: string, range: { min: readonly number[]; maxMinor?: readonly [number, number]; what: string }): ReadinessLine {
  const v = parseKubeVersion(serverVersion);
  const text = `Kubernetes ${serverVersion}`;
  if (!v) return warn(id, `${text}: version not understood`, `${range.what} supports Kubernetes ${range.min.join('.')}${range.maxMinor ? ` to ${range.maxMinor.join('.')}` : ' or later'}`);
  if (versionBefore(v, range.min)) return warn(id, `${text}: older than ${range.what} supports (${range.min.join('.')})`, `upgrade the cluster, or use a mesh release that supports ${v[0]}.${v[1]}`);
  if (range.maxMinor && versionBefore(range.maxMinor, [v[0], v[1]])) return warn(id, `${text}: newer than ${range.what} supports (up to ${range.maxMinor.join('.')})`, 'upgrade the mesh, or expect untested behaviour');
  return ok(id, `${text} (${range.what} supports ${range.min.join('.')}${range.maxMinor ? `–${range.maxMinor.join('.')}` : '+'})`);
}
