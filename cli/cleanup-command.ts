import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sweepLeftovers } from '../harness/cleanup/leftovers.ts';
import type { RunNamespaceInfo } from '../harness/cleanup/leftovers.ts';
import { ConfigError, defaultKubeconfig, envLayer, resolveConfig } from '../harness/config/resolve-config.ts';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { runPaths } from '../harness/config/run-config.ts';
import { deleteRunLeftovers } from '../harness/cleanup/run-cleanup.ts';
import { restoreJournaledChanges } from '../harness/k8s/shared-change.ts';
import { createMeshProfile } from '../harness/mesh/index.ts';
import { restoreJournaledCollection } from '../harness/metrics/collection-journal.ts';
import { KubeApiError, isRetryable } from '../harness/k8s/api-error.ts';
import { waitForNamespaceGone } from '../harness/k8s/namespaces.ts';
import { stopCredentialPlugins } from '../harness/k8s/exec-credential.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { KubeconfigError, resolveKubeconfigSpec } from '../harness/k8s/kubeconfig.ts';
import { errorText } from '../harness/text.ts';
import { formatDuration } from '../harness/timeouts.ts';
import { BadInputError, InfrastructureError, exitCodes } from './exit-codes.ts';

/** `mesh-conformance cleanup …` as parsed. */
export interface CleanupInvocation {
  command: 'cleanup';
  kubeconfig: string | undefined;
  context: string | undefined;
  ttl: string | undefined;
  dryRun: boolean;
}

/**
 * The cleanup's settings: `--ttl`, `--kubeconfig`, `--context` over the `MESH_CONFORMANCE_*` variables, validated by
 * the one configuration schema (a bad TTL is the same one-line message as anywhere else).
 */
export function cleanupConfig(inv: CleanupInvocation, env: NodeJS.ProcessEnv): ConformanceConfig {
  const flags = { kubeconfig: inv.kubeconfig, context: inv.context, sweepTtl: inv.ttl };
  const flagNames: Record<string, string> = { kubeconfig: '--kubeconfig', context: '--context', sweepTtl: '--ttl' };
  try {
    return resolveConfig([envLayer(env), { nameOf: (k) => flagNames[k] ?? k, values: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) }]);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadInputError(err.message);
    throw err;
  }
}

/** Connects with the user's kubeconfig, turning every way that can fail into bad input with what to do. */
export function connectForCleanup(kubeconfig: string, context: string | undefined, budgetMs?: number): KubeClient {
  try {
    return KubeClient.connect({ kubeconfig, context, credentialBudgetMs: budgetMs });
  } catch (err) {
    if (err instanceof KubeconfigError) throw new BadInputError(err.message);
    throw new BadInputError(`unusable kubeconfig ${kubeconfig}: ${errorText(err)}`);
  }
}

function line(info: RunNamespaceInfo, action: string): string {
  return `${action} namespace ${info.name} (run ${info.runId}): ${info.reason}`;
}

/**
 * `mesh-conformance cleanup`: the sweep a run does before it starts, on demand. Deletes the namespaces of dead
 * runs (no fresh heartbeat) older than the TTL; `--dry-run` lists what it would delete and what it keeps and why.
 */
export async function runCleanup(inv: CleanupInvocation, out: { write: (s: string) => void } = process.stdout): Promise<number> {
  // Interrupted, a credential plugin it started (its own process group) must not be left running; deletes already
  // sent stand, which is what a sweep is for.
  const onSignal = (): void => {
    stopCredentialPlugins();
    process.exit(exitCodes.interrupted);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  try {
    return await sweepCommand(inv, out);
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
  }
}

async function sweepCommand(inv: CleanupInvocation, out: { write: (s: string) => void }): Promise<number> {
  const env = process.env;
  const config = cleanupConfig(inv, env);
  const ttlMs = config.sweepTtl;
  const client = connectForCleanup(resolveKubeconfigSpec(process.cwd(), config.kubeconfig ?? defaultKubeconfig(env)), config.context, config.timeouts.apply);
  let report;
  try {
    report = await sweepLeftovers(client, { ttlMs, dryRun: inv.dryRun, budgetMs: config.timeouts.apply });
  } catch (err) {
    if (err instanceof KubeApiError && isRetryable(err) && (err.code !== undefined || /ECONNRESET|socket hang up/i.test(err.message))) {
      throw new InfrastructureError(`the API server ${client.server} (context ${client.context}) stayed unavailable through every retry within ${formatDuration(config.timeouts.apply)} (timeouts.apply): ${err.message}; retry later`);
    }
    if (err instanceof KubeApiError && (err.code === undefined || err.code === 401 || err.code === 403)) {
      const why = err.code === undefined ? 'cannot reach the API server' : err.code === 401 ? 'the API server rejected the credentials (401)' : 'not allowed to list namespaces (403)';
      const via = client.proxy ? ` through the proxy ${client.proxy}` : '';
      throw new BadInputError(`${why} ${client.server}${via} (context ${client.context}): check --kubeconfig/--context${via ? ', the proxy' : ''} and that the cluster is up; ${err.message}`);
    }
    throw err;
  }
  const doomed = report.considered.filter((n) => n.verdict === 'sweep');
  // A deleted namespace is gone only when its finalizers are done: wait (bounded by timeouts.cleanup) and say
  // which did not go, and what holds them, rather than call a namespace stuck Terminating "deleted".
  const stuck = new Map<string, string>();
  await Promise.all(report.deleted.map(async (name) => {
    try {
      await waitForNamespaceGone(client, name, { timeoutMs: config.timeouts.cleanup, budgetMs: config.timeouts.apply });
    } catch (err) {
      stuck.set(name, errorText(err));
    }
  }));
  for (const info of report.considered) {
    if (info.verdict !== 'sweep') out.write(`${line(info, 'keeping')}\n`);
    else if (inv.dryRun) out.write(`${line(info, 'would delete')}\n`);
    else if (stuck.has(info.name)) out.write(`${line(info, 'not gone')}; ${stuck.get(info.name) ?? ''}\n`);
    else out.write(`${line(info, report.deleted.includes(info.name) ? 'deleted' : 'did not delete')}\n`);
  }
  for (const s of report.skipped) out.write(`left alone namespace ${s}\n`);
  for (const e of report.errors) out.write(`failed to delete namespace ${e}\n`);
  const verb = inv.dryRun ? 'would delete' : 'deleted';
  out.write(`mesh-conformance cleanup: ${verb} ${inv.dryRun ? doomed.length : report.deleted.length - stuck.size} of ${report.considered.length} run namespaces (dead runs older than ${formatDuration(ttlMs)}; context ${client.context})${stuck.size ? `; ${stuck.size} still terminating` : ''}\n`);
  return report.errors.length || stuck.size ? exitCodes.checkFailed : exitCodes.passed;
}

/** The sweep before a run on a real cluster: dead runs older than the TTL go; a failure only warns (never blocks the run). */
export async function preRunSweep(config: ConformanceConfig, out: { write: (s: string) => void } = process.stdout): Promise<void> {
  if (!config.sweep || !config.kubeconfig) return;
  try {
    const client = KubeClient.connect({ kubeconfig: config.kubeconfig, context: config.context, credentialBudgetMs: config.timeouts.apply });
    const report = await sweepLeftovers(client, { ttlMs: config.sweepTtl, ownRunId: config.runId, budgetMs: config.timeouts.apply });
    const live = report.considered.filter((n) => n.verdict === 'live' || n.verdict === 'younger-than-ttl').length;
    if (report.deleted.length || report.errors.length) {
      out.write(`mesh-conformance: swept ${report.deleted.length} namespace(s) left by dead runs older than ${formatDuration(config.sweepTtl)}: ${report.deleted.join(', ') || 'none'}${report.errors.length ? `; could not delete ${report.errors.join('; ')}` : ''}\n`);
    }
    if (live) out.write(`mesh-conformance: ${live} namespace(s) of other runs left alone (alive or younger than ${formatDuration(config.sweepTtl)}); \`mesh-conformance cleanup --dry-run\` lists them\n`);
  } catch (err) {
    out.write(`mesh-conformance: warning: the sweep of dead runs' leftovers failed (${errorText(err)}); the run goes on\n`);
  }
}

/** Namespaces the namespace fixture kept on failure (its records, `<reportDir>/runs/<runId>/cleanup/*.json`). */
function keptNamespaces(reportDir: string, runId: string): string[] {
  const dir = runPaths(reportDir, runId).cleanup;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => {
    try {
      const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { namespace?: string; kept?: boolean };
      return rec.kept && rec.namespace ? [rec.namespace] : [];
    } catch {
      return [];
    }
  });
}

/**
 * After the test runner ended, however it ended: restores the cluster-wide changes still in the run's journal, and
 * deletes whatever of this run is still in the cluster (a namespace
 * created while the run was being interrupted, a worker that crashed before its teardown) and waits until it is
 * gone, bounded by the cleanup budget. An interrupted run keeps nothing; otherwise namespaces kept on failure stay.
 * Prints one line when it had work to do; never throws.
 */
export async function cleanupAfterRun(config: ConformanceConfig, opts: { interrupted: boolean }, out: { write: (s: string) => void } = process.stdout): Promise<void> {
  if (!config.kubeconfig || !config.runId) return;
  try {
    const client = KubeClient.connect({ kubeconfig: config.kubeconfig, context: config.context, credentialBudgetMs: config.timeouts.apply });
    // Cluster-wide changes a check could not restore (a crashed worker, a second Ctrl-C): the journal holds them.
    const paths = runPaths(config.reportDir, config.runId);
    for (const line of await restoreJournaledChanges(client, paths.clusterChanges, config.timeouts.apply)) {
      out.write(`mesh-conformance: cleanup after the run: ${line}\n`);
    }
    // The metrics collection the run's copies shared (or a worker could not restore): taken out in one edit.
    const collection = createMeshProfile(config).metrics.collection;
    if (collection) {
      const line = await restoreJournaledCollection(client, collection, paths, config.timeouts.apply)
        .catch((err: unknown) => `could not restore ${collection.object.namespace ?? ''}/${collection.object.name} (${errorText(err)}); its journal ${paths.metricsCollection} is kept`);
      if (line) out.write(`mesh-conformance: cleanup after the run: ${line}\n`);
    }
    const keep = opts.interrupted ? [] : keptNamespaces(config.reportDir, config.runId);
    const report = await deleteRunLeftovers(client, config.runId, { keep, budgetMs: config.timeouts.apply, waitMs: config.timeouts.cleanup });
    // Say exactly what happened: deleted (and gone, or not yet), or could not be deleted, never "deleted" for all.
    const parts: string[] = [];
    if (report.deleted.length) parts.push(`deleted ${report.deleted.join(', ')}${report.gone ? ` (gone after ${formatDuration(report.elapsedMs)})` : ' (not gone yet)'}`);
    if (report.errors.length) parts.push(`problems: ${report.errors.join('; ')}`);
    if (parts.length) out.write(`mesh-conformance: cleanup after the run: ${parts.join('; ')}\n`);
  } catch (err) {
    out.write(`mesh-conformance: warning: the cleanup after the run failed (${errorText(err)}); \`mesh-conformance cleanup --ttl 0\` removes what is left\n`);
  }
}
