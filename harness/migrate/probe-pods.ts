/**
 * Probes a behaviour matrix's service-to-service requests (behaviour.ts) from inside the mesh. A request is judged by
 * the identity it is sent as, so the probe client runs as the source ServiceAccount, in its namespace: one
 * `fortio server` pod per source identity (fortio is the client of Istio's own samples), labelled with the run's id
 * and deleted afterwards, also on failure (CleanupRegistry, which deletes only what carries this run's label). The
 * harness reaches each probe pod by a port-forward (which enters the pod's network namespace on loopback, past the
 * sidecar's inbound capture, so the destination mesh's policies do not refuse the harness itself) and asks fortio's
 * fetch proxy (`/fortio/fetch2/?url=`) to send the request; the request then leaves through the pod's sidecar as the
 * workload's own would.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { CleanupRegistry } from '../k8s/cleanup-registry.ts';
import { forwardPodPort } from '../k8s/port-forward.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { generateRunId, runLabelKeys, runLabels } from '../k8s/run-labels.ts';
import { meshProfiles } from '../mesh/index.ts';
import { timeouts } from '../timeouts.ts';
import { podRunningAndReady } from '../wait/conditions.ts';
import { waitForObject } from '../wait/wait-for-object.ts';
import type { BehaviourMatrix, IngressProbe, ProbeResult, ServiceProbe, SidecarFact } from './behaviour.ts';
import { classify } from './behaviour.ts';
import { probeIngress } from './ingress-probe.ts';
import { describeIdentity } from './model.ts';
import type { WorkloadIdentity } from './model.ts';

export const probeImage = 'fortio/fortio:1.69.5';
const fortioPort = 8080;
/** Marks the probe pods, so the sidecar census leaves them out. */
export const probePodLabel = 'mesh-conformance.io/migrate-probe';
/** On a watch's probe pods: the ServiceAccount they run as (their Deployment's selector). */
const probeSourceLabel = 'mesh-conformance.io/migrate-probe-source';
const requestTimeoutMs = 10_000;

/** The mesh whose sidecar a pod carries (the first registered profile that recognises it), or undefined. */
export function sidecarOf(pod: V1Pod): string | undefined {
  for (const factory of meshProfiles) {
    const profile = factory.create({ namespace: '', meshName: '', revision: undefined, target: 'local' });
    if (profile.sidecar.present(pod)) return factory.name;
  }
  return undefined;
}

/** The pod asks every registered mesh not to inject it: no sidecar is expected. */
export function optedOutOfEveryMesh(pod: V1Pod): boolean {
  return meshProfiles.every((factory) => factory.create({ namespace: '', meshName: '', revision: undefined, target: 'local' }).sidecar.optedOut(pod));
}

/** The pods of the namespaces (probe pods left out), with their sidecar. */
export async function sidecarCensus(client: KubeClient, namespaces: readonly string[]): Promise<SidecarFact[]> {
  const out: SidecarFact[] = [];
  for (const namespace of namespaces) {
    const pods = (await client.list<V1Pod>(resourceTypes.pod, { namespace }, { budgetMs: timeouts.apply })).items;
    for (const pod of pods) {
      if (pod.metadata?.labels?.[probePodLabel] || pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running') continue;
      out.push({ namespace, pod: pod.metadata?.name ?? '', sidecar: sidecarOf(pod) });
    }
  }
  return out.sort((a, b) => `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`));
}

function probeName(id: WorkloadIdentity, runId: string): string {
  const name = `mc-migrate-probe-${id.serviceAccount}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 50).replace(/-$/, '');
  return `${name}-${runId.slice(-4)}`;
}

/** The probe client's pod: fortio's server (its fetch proxy sends the requests), running as the source identity. */
function probePodSpec(id: WorkloadIdentity): NonNullable<V1Pod['spec']> {
  return {
    serviceAccountName: id.serviceAccount,
    containers: [{ name: 'fortio', image: probeImage, args: ['server'], ports: [{ name: 'http-fortio', containerPort: fortioPort }] }],
  };
}

function probePod(id: WorkloadIdentity, runId: string): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: probeName(id, runId), namespace: id.namespace, labels: { ...runLabels(runId), [probePodLabel]: 'true', app: 'mesh-conformance-migrate-probe' } },
    spec: probePodSpec(id),
  };
}

/**
 * `migrate watch`'s probe client: a Deployment of one, so the cutover's `kubectl rollout restart` restarts it with the
 * workloads, and it then carries the target mesh's sidecar as they do.
 */
export function probeDeployment(id: WorkloadIdentity, runId: string): V1Deployment {
  const name = probeName(id, runId);
  const selector = { [runLabelKeys.runId]: runId, [probePodLabel]: 'true', [probeSourceLabel]: id.serviceAccount.slice(0, 63) };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: id.namespace, labels: { ...runLabels(runId), [probePodLabel]: 'true' } },
    spec: {
      replicas: 1, selector: { matchLabels: selector },
      template: { metadata: { labels: { ...runLabels(runId), ...selector, app: 'mesh-conformance-migrate-probe' } }, spec: probePodSpec(id) },
    },
  };
}

/** What fortio's fetch proxy answered for a probe; throws when the probe pod itself did not answer. */
async function fetchThrough(base: string, probe: ServiceProbe, timeoutMs: number): Promise<{ status: number; body: string }> {
  const target = `http://${probe.service}.${probe.namespace}.svc.cluster.local:${probe.port}${probe.path}`;
  const res = await fetch(`${base}/fortio/fetch2/?url=${encodeURIComponent(target)}`, { headers: { ...probe.headers, connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

async function send(base: string, probe: ServiceProbe): Promise<ProbeResult> {
  try {
    const { status, body } = await fetchThrough(base, probe, requestTimeoutMs);
    return classify(status, body);
  } catch (err) {
    return { outcome: 'error', status: 0, detail: `the probe pod did not answer: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * One source identity's probe client during a watch: it finds the Deployment's Ready pod, forwards to it, and finds
 * the next one when that pod goes (a restart). A request it could not hand to a pod is `undefined`: not observed.
 */
export class WatchProbeClient {
  private forward: { pod: string; url: string; close: () => Promise<void> } | undefined;
  private finding: Promise<void> | undefined;

  constructor(private readonly client: KubeClient, readonly deployment: V1Deployment, private readonly requestTimeoutMs: number) {}

  private async find(): Promise<void> {
    const ns = this.deployment.metadata?.namespace ?? '';
    const selector = Object.entries(this.deployment.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = (await this.client.list<V1Pod>(resourceTypes.pod, { namespace: ns, labelSelector: selector }, { budgetMs: timeouts.apply })).items;
    const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && podRunningAndReady(p).done)
      .sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0];
    if (!ready) return;
    const name = ready.metadata?.name ?? '';
    this.forward = { pod: name, ...(await forwardPodPort(this.client.kubeConfig, ns, name, fortioPort)) };
  }

  /** The answer, or undefined when no probe pod was there to send it. */
  async send(probe: ServiceProbe): Promise<{ status: number; body: string } | undefined> {
    if (!this.forward) {
      this.finding ??= this.find().catch(() => undefined).finally(() => { this.finding = undefined; });
      await this.finding;
    }
    const forward = this.forward;
    if (!forward) return undefined;
    try {
      return await fetchThrough(forward.url, probe, this.requestTimeoutMs);
    } catch (err) {
      // A timeout is the destination's (fortio's fetch proxy waits for it); anything else is the probe pod going away.
      if (err instanceof Error && err.name === 'TimeoutError') return { status: 0, body: `no answer within ${this.requestTimeoutMs} ms` };
      if (this.forward === forward) {
        this.forward = undefined;
        await forward.close();
      }
      return undefined;
    }
  }

  /** The pod it sends through now ('' when none). */
  get pod(): string {
    return this.forward?.pod ?? '';
  }

  async close(): Promise<void> {
    await this.forward?.close();
    this.forward = undefined;
  }
}

/**
 * Sends every probe as its source identity and returns the matrix. `log` gets one line per step. The probe pods are
 * removed before it returns or throws.
 */
export async function probeBehaviour(client: KubeClient, mesh: string, namespaces: string[], probes: ServiceProbe[], ingressProbes: IngressProbe[], unprobed: string[],
  log: (line: string) => void, signal?: AbortSignal): Promise<BehaviourMatrix> {
  const runId = generateRunId();
  const registry = new CleanupRegistry(client, runId);
  const results: BehaviourMatrix['probes'] = [];
  try {
    const sources = new Map(probes.map((p) => [describeIdentity(p.source), p.source]));
    const pods = new Map<string, string>();
    for (const [key, id] of sources) {
      const pod = probePod(id, runId);
      registry.register(pod);
      await client.create(pod, { budgetMs: timeouts.apply });
      pods.set(key, pod.metadata?.name ?? '');
    }
    for (const [key, id] of sources) {
      const name = pods.get(key) ?? '';
      const ready = await waitForObject<V1Pod, V1Pod>(client, resourceTypes.pod, id.namespace, name, `probe Pod ${id.namespace}/${name} (ServiceAccount ${id.serviceAccount}) to be Running and Ready`,
        podRunningAndReady, { timeoutMs: timeouts.rollout, ...(signal ? { signal } : {}) });
      const sidecar = ready.value ? sidecarOf(ready.value) : undefined;
      log(`probe pod ${id.namespace}/${name} ready (${sidecar ? `${sidecar} sidecar` : 'no sidecar'})`);
      const forward = await forwardPodPort(client.kubeConfig, id.namespace, name, fortioPort);
      try {
        for (const probe of probes.filter((p) => describeIdentity(p.source) === key)) {
          signal?.throwIfAborted();
          results.push({ ...probe, result: await send(forward.url, probe) });
        }
      } finally {
        await forward.close();
      }
    }
  } finally {
    const report = await registry.deleteAll({ budgetMs: timeouts.cleanup });
    if (report.errors.length || report.refused.length) log(`cleanup of the probe pods: ${[...report.errors, ...report.refused].join('; ')}`);
  }
  const ingress = await probeIngress(client, ingressProbes, timeouts.apply);
  for (const p of ingress) log(`${p.id} via ${p.result.via}: ${p.result.outcome} (${p.result.detail})`);
  return {
    kind: 'MeshMigrationBehaviour', version: 1, mesh, takenAt: new Date().toISOString(), namespaces,
    probes: results, sidecars: await sidecarCensus(client, namespaces), unprobed, ingress,
  };
}
