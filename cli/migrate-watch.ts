/**
 * `mesh-conformance migrate watch` (docs/migration.md): continuous, timestamped probes during a cutover. It replays the
 * baseline's service-to-service probes round-robin, at `--rate` requests per second, from probe clients that run as
 * each source identity (a Deployment of one each, so the cutover's rollout restart moves them to the new mesh as it
 * moves the workloads), plus any `--url` through the ingress. It stops when `--duration` or `--max-requests` runs out,
 * or on Ctrl-C (its normal end), then removes its probe clients, prints the windows of failed requests per path, and
 * writes the JSON report (`--out`). A census of the watched namespaces' pods every few seconds tells which mesh's
 * sidecar backs each Service, so an answer is judged for mTLS by the mesh that served it (harness/migrate/watch.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setInterval as every } from 'node:timers/promises';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { undici } from '../harness/http/undici.ts';
import { parseDuration } from '../harness/config/config-schema.ts';
import { CleanupRegistry } from '../harness/k8s/cleanup-registry.ts';
import { resourceTypes } from '../harness/k8s/resources.ts';
import { generateRunId } from '../harness/k8s/run-labels.ts';
import { meshFactory } from '../harness/mesh/index.ts';
import type { MtlsEvidence } from '../harness/mesh/mesh-factory.ts';
import type { BehaviourMatrix } from '../harness/migrate/behaviour.ts';
import { classify } from '../harness/migrate/behaviour.ts';
import { entryPointOf } from '../harness/migrate/ingress-probe.ts';
import type { EntryPoint } from '../harness/migrate/ingress-probe.ts';
import { describeIdentity } from '../harness/migrate/model.ts';
import { optedOutOfEveryMesh, probeDeployment, probePodLabel, sidecarOf, WatchProbeClient } from '../harness/migrate/probe-pods.ts';
import type { WatchReport } from '../harness/migrate/watch.ts';
import { PathWatch, seconds, SidecarWatch, watchReport, watchSummary, watchVerdict } from '../harness/migrate/watch.ts';
import { errorText } from '../harness/text.ts';
import { timeouts } from '../harness/timeouts.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import type { MigrateInvocation } from './migrate-command.ts';
import { connect, interruptible, meshNamed, reaching, readJson } from './migrate-common.ts';

type Out = { write: (s: string) => void };

/** The text output names this many failures; the JSON has them all. */
const maxFailLines = 12;

/** The bounds of the probe loop: a watch never floods the cluster, and never runs unbounded. */
export const watchLimits = { maxRate: 50, defaultRate: 5, defaultDurationMs: 10 * 60_000, maxDurationMs: 24 * 3_600_000, maxRequests: 1_000_000, requestTimeoutMs: 5_000, censusEveryMs: 2_000, heartbeatEveryMs: 5_000 } as const;

interface WatchOptions { rate: number; durationMs: number; maxRequests: number; maxDowntimeMs: number | undefined; urls: URL[]; host: string | undefined }

function watchOptions(inv: MigrateInvocation): WatchOptions {
  const rate = Number(inv.rate ?? watchLimits.defaultRate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > watchLimits.maxRate) throw new BadInputError(`--rate ${inv.rate ?? ''} is not a rate: give requests per second, more than 0 and at most ${watchLimits.maxRate}`);
  const duration = (text: string | undefined, flag: string, fallback: number | undefined): number | undefined => {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0 || ms > watchLimits.maxDurationMs) throw new BadInputError(`${flag} ${text} is not a duration: give one such as 90s, 10m or 2h, at most 24h`);
    return ms;
  };
  const maxRequests = Number(inv.maxRequests ?? watchLimits.maxRequests);
  if (!Number.isInteger(maxRequests) || maxRequests <= 0 || maxRequests > watchLimits.maxRequests) throw new BadInputError(`--max-requests ${inv.maxRequests ?? ''} must be a whole number from 1 to ${watchLimits.maxRequests}`);
  const urls = (inv.urls ?? []).map((u) => {
    try {
      const url = new URL(u);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      return url;
    } catch {
      throw new BadInputError(`--url ${u} is not an http(s) URL: give the ingress address and path, such as http://20.1.2.3/get`);
    }
  });
  return { rate, durationMs: duration(inv.duration, '--duration', watchLimits.defaultDurationMs) ?? watchLimits.defaultDurationMs, maxRequests, maxDowntimeMs: duration(inv.maxDowntime, '--max-downtime', undefined), urls, host: inv.host };
}

/** The mTLS evidence of an answer from a Service, by the sidecars that back it now (census) and the target mesh. */
function evidenceJudge(to: string): (backing: Set<string | undefined>, body: string) => MtlsEvidence {
  return (backing, body) => {
    if (backing.size === 0) return 'unknown';
    // A pod without a sidecar is judged by the target mesh: its client sidecar sends plaintext to such a pod.
    const meshes = [...backing].map((m) => m ?? to);
    const verdicts = meshes.map((m) => meshFactory(meshNamed(m, 'sidecar')).migration?.mtlsEvidence?.({ headers: {}, body }) ?? 'unknown');
    if (verdicts.includes('unknown')) return 'unknown';
    return verdicts.includes('plaintext') ? 'plaintext' : 'mtls';
  };
}

export async function runWatch(inv: MigrateInvocation, out: Out, err: Out): Promise<number> {
  meshNamed(inv.from, 'source');
  meshNamed(inv.to, 'target');
  if (!inv.baseline) throw new BadInputError('migrate watch needs --baseline FILE: the matrix `migrate baseline --out FILE` wrote before the cutover (its probes are what the watch sends)');
  const options = watchOptions(inv);
  const baseline = readJson<BehaviourMatrix>(resolve(inv.baseline), 'MeshMigrationBehaviour', 'behaviour baseline');
  if (baseline.probes.length + (baseline.ingress?.length ?? 0) + options.urls.length === 0) throw new BadInputError(`${inv.baseline} has no probes and no --url was given: nothing to watch`);
  const client = connect(inv);
  const progress = (line: string): void => err.write(`migrate watch: ${line}\n`);
  const { signal, dispose } = interruptible();
  const runId = generateRunId();
  const registry = new CleanupRegistry(client, runId);
  const clients = new Map<string, WatchProbeClient>();
  try {
    const services = new Map<string, Record<string, string>>();
    for (const key of new Set(baseline.probes.map((p) => `${p.namespace}/${p.service}`))) {
      const [namespace = '', name = ''] = key.split('/');
      const svc = await reaching(client, () => client.read<V1Service>({ ...resourceTypes.service, namespace, name }, { budgetMs: timeouts.apply }));
      if (!svc) throw new BadInputError(`Service ${key} of the baseline is not in the cluster: watch the cluster the baseline was taken on`);
      services.set(key, svc.spec?.selector ?? {});
    }
    for (const p of baseline.probes) {
      const key = describeIdentity(p.source);
      if (clients.has(key)) continue;
      const deployment = probeDeployment(p.source, runId);
      registry.register(deployment);
      await reaching(client, () => client.create(deployment, { budgetMs: timeouts.apply }));
      clients.set(key, new WatchProbeClient(client, deployment, watchLimits.requestTimeoutMs));
    }
    progress(`started ${clients.size} probe clients (Deployments labelled ${probePodLabel}); waiting for each to answer once`);
    /** A watched path: how to send one request (undefined: it could not be sent), and the Service it ends in, if known. */
    interface Watched { watch: PathWatch; send: () => Promise<{ status: number; body: string } | undefined>; service: string | undefined }
    const fetchUrl = async (url: string, host: string | undefined): Promise<{ status: number; body: string }> => {
      try {
        const res = await undici().request(url, { headers: host ? { host } : {}, headersTimeout: watchLimits.requestTimeoutMs, bodyTimeout: watchLimits.requestTimeoutMs });
        return { status: res.statusCode, body: await res.body.text() };
      } catch (e) {
        return { status: 0, body: `no answer: ${errorText(e)}` };
      }
    };
    // The baseline's ingress paths follow their entry point (Ingress, or the Gateway the plan moved them to), resolved
    // again at every census.
    const entries = new Map<string, EntryPoint | string>();
    const ingressProbes = baseline.ingress ?? [];
    const paths: Watched[] = [
      ...baseline.probes.map((p): Watched => ({
        watch: new PathWatch(p.id, 'service', p.namespace, p.result.outcome), service: `${p.namespace}/${p.service}`,
        send: async () => clients.get(describeIdentity(p.source))?.send(p),
      })),
      ...ingressProbes.map((p): Watched => ({
        watch: new PathWatch(p.id, 'ingress', p.namespace, p.result.outcome), service: `${p.namespace}/${p.service}`,
        send: async () => {
          const entry = entries.get(p.id);
          return typeof entry === 'object' ? fetchUrl(`${entry.base}${p.path}`, p.host) : { status: 0, body: `no entry point: ${entry ?? 'not resolved yet'}` };
        },
      })),
      ...options.urls.map((u): Watched => ({
        watch: new PathWatch(`ingress GET ${u.href}${options.host ? ` [Host: ${options.host}]` : ''}`, 'ingress', '', 'allowed'), service: undefined,
        send: () => fetchUrl(u.href, options.host),
      })),
    ];
    const stamp = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
    const sidecars = new SidecarWatch();
    const backing = new Map<string, Set<string | undefined>>();
    const census = async (): Promise<void> => {
      const pods: V1Pod[] = [];
      for (const namespace of baseline.namespaces) pods.push(...(await client.list<V1Pod>(resourceTypes.pod, { namespace }, { budgetMs: timeouts.apply })).items);
      const running = pods.filter((p) => !p.metadata?.labels?.[probePodLabel] && !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
      // A pod that opts out of injection (of every mesh) is not expected to carry a sidecar.
      const expected = running.filter((p) => !optedOutOfEveryMesh(p));
      const fresh = sidecars.census(Date.now(), expected.map((p) => ({ namespace: p.metadata?.namespace ?? '', pod: p.metadata?.name ?? '', sidecar: sidecarOf(p) })));
      for (const p of fresh) progress(`${stamp(Date.now())} pod ${p.namespace}/${p.pod} runs without a sidecar`);
      for (const [key, selector] of services) {
        const ns = key.split('/')[0];
        const now = new Set(running.filter((p) => p.metadata?.namespace === ns && Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v)).map(sidecarOf));
        const describe = (set: Set<string | undefined> | undefined): string => [...(set ?? [])].map((m) => m ?? 'no').sort().join(' and ');
        if (backing.has(key) && describe(backing.get(key)) !== describe(now)) progress(`${stamp(Date.now())} Service ${key} now served by pods with ${describe(now) || 'no'} sidecars`);
        backing.set(key, now);
      }
      for (const p of ingressProbes) {
        const entry = await entryPointOf(client, p, timeouts.apply);
        const was = entries.get(p.id);
        const text = (e: EntryPoint | string | undefined): string => (typeof e === 'object' ? `${e.via} at ${e.base}` : `no entry point (${e ?? ''})`);
        if (was !== undefined && text(was) !== text(entry)) progress(`${stamp(Date.now())} ${p.id} now via ${text(entry)}`);
        entries.set(p.id, entry);
      }
    };
    await reaching(client, census);
    const judge = evidenceJudge(inv.to);

    // Wait (bounded) for every probe client to answer once, so the first seconds are not counted as unobserved.
    const first = baseline.probes.filter((p, i, all) => all.findIndex((q) => describeIdentity(q.source) === describeIdentity(p.source)) === i);
    const readyBy = Date.now() + timeouts.rollout;
    for (const p of first) {
      const c = clients.get(describeIdentity(p.source));
      for await (const _ of every(500, undefined, { signal })) {
        if (await c?.send(p)) break;
        if (Date.now() > readyBy) throw new Error(`the probe client for ${describeIdentity(p.source)} did not answer within ${timeouts.rollout / 1000} s: its Deployment ${c?.deployment.metadata?.namespace ?? ''}/${c?.deployment.metadata?.name ?? ''} has no Ready pod (see \`kubectl describe\`)`);
      }
    }

    const intervalMs = 1000 / options.rate;
    const maxInFlight = Math.max(4, Math.min(64, Math.ceil(options.rate * watchLimits.requestTimeoutMs / 1000)));
    const startedAt = Date.now();
    progress(`watching ${paths.length} paths at ${options.rate} requests/s for at most ${options.durationMs / 1000} s or ${options.maxRequests} requests; stop it with Ctrl-C`);
    let sent = 0;
    let skipped = 0;
    let inFlight = 0;
    let stoppedBy: WatchReport['stoppedBy'] = 'interrupted';
    let nextCensus = startedAt + watchLimits.censusEveryMs;
    let nextHeartbeat = startedAt + watchLimits.heartbeatEveryMs;
    let censusRunning = false;
    const pending = new Set<Promise<void>>();
    const record = (path: Watched, answer: Parameters<PathWatch['record']>[0]): void => {
      const change = path.watch.record(answer);
      const what = path.watch.expected === 'allowed' ? 'DOWN' : 'AUTHORIZATION GAP';
      if (change?.change === 'failing') progress(`${stamp(answer.at)} ${what} ${path.watch.id}: ${change.first}`);
      if (change?.change === 'recovered') progress(`${stamp(answer.at)} ${path.watch.expected === 'allowed' ? 'UP' : 'DENIED again'} ${path.watch.id} after ${seconds(change.afterMs)}`);
    };
    const fire = async (path: Watched): Promise<void> => {
      const at = Date.now();
      const answer = await path.send();
      if (!answer) {
        path.watch.recordUnobserved();
        return;
      }
      const r = answer.status === 0 ? { outcome: 'error' as const, detail: answer.body } : classify(answer.status, answer.body);
      const judged = r.outcome === 'allowed' && path.service ? judge(backing.get(path.service) ?? new Set(), answer.body) : 'unknown';
      record(path, { at, outcome: r.outcome, detail: r.detail, mtls: judged });
    };
    try {
      for await (const _ of every(intervalMs, undefined, { signal })) {
        const now = Date.now();
        if (now - startedAt >= options.durationMs) { stoppedBy = 'duration'; break; }
        if (sent >= options.maxRequests) { stoppedBy = 'max-requests'; break; }
        if (now >= nextHeartbeat) {
          nextHeartbeat = now + watchLimits.heartbeatEveryMs;
          const live = paths.map((p) => p.watch.result(now));
          const sum = (f: (p: (typeof live)[number]) => number): number => live.reduce((a, p) => a + f(p), 0);
          progress(`${stamp(now)} ${sum((p) => p.requests)} answers, ${sum((p) => p.failed)} failed, ${sum((p) => p.unobserved)} not sent; judged mTLS ${sum((p) => p.mtls)}, plaintext ${sum((p) => p.plaintext)}`);
        }
        if (now >= nextCensus && !censusRunning) {
          censusRunning = true;
          nextCensus = now + watchLimits.censusEveryMs;
          census().catch((e: unknown) => progress(`census failed (kept the last one): ${errorText(e)}`)).finally(() => { censusRunning = false; });
        }
        const path = paths[sent % paths.length];
        sent += 1;
        if (!path) continue;
        if (inFlight >= maxInFlight) { skipped += 1; continue; }
        inFlight += 1;
        const p = fire(path).finally(() => { inFlight -= 1; pending.delete(p); });
        pending.add(p);
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
    const endedAt = Date.now();
    progress(`stopped (${stoppedBy}); waiting for ${pending.size} requests in flight`);
    await Promise.allSettled([...pending]);
    await census().catch(() => undefined);
    const report = watchReport({ startedAt, endedAt, rate: options.rate, pathIntervalMs: intervalMs * paths.length, stoppedBy, paths: paths.map((p) => p.watch), sidecars, skipped });
    const reasons = watchVerdict(report, options.maxDowntimeMs);
    if (inv.out) {
      mkdirSync(dirname(resolve(inv.out)), { recursive: true });
      writeFileSync(resolve(inv.out), `${JSON.stringify({ ...report, verdict: reasons.length ? 'failed' : 'passed', reasons }, null, 2)}\n`);
    }
    if (inv.output === 'json') out.write(`${JSON.stringify({ ...report, verdict: reasons.length ? 'failed' : 'passed', reasons }, null, 2)}\n`);
    else {
      for (const line of watchSummary(report)) out.write(`${line}\n`);
      for (const r of reasons.slice(0, maxFailLines)) out.write(`FAIL ${r}\n`);
      if (reasons.length > maxFailLines) out.write(`FAIL … and ${reasons.length - maxFailLines} more${inv.out ? ` (all in ${resolve(inv.out)})` : ' (--out FILE keeps them all)'}\n`);
      out.write(`migrate watch: ${reasons.length ? `FAILED: ${reasons.length} problems` : 'passed'}${inv.out ? `; wrote ${resolve(inv.out)}` : ''}\n`);
    }
    return reasons.length ? exitCodes.checkFailed : exitCodes.passed;
  } catch (e) {
    if (!signal.aborted) throw e;
    err.write('migrate watch: interrupted before the watch started; its probe clients are removed\n');
    return exitCodes.interrupted;
  } finally {
    dispose();
    await Promise.all([...clients.values()].map((c) => c.close()));
    const report = await registry.deleteAll({ budgetMs: timeouts.cleanup });
    if (report.errors.length || report.refused.length) progress(`cleanup of the probe clients: ${[...report.errors, ...report.refused].join('; ')}`);
  }
}
