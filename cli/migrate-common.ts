/**
 * What every `mesh-conformance migrate` action shares (cli/migrate-command.ts, cli/migrate-watch.ts): the meshes by
 * name, the connection, bad input for an unreachable cluster, the JSON files one action writes for another, Ctrl-C.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultKubeconfig } from '../harness/config/resolve-config.ts';
import { KubeApiError, isRetryable } from '../harness/k8s/api-error.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { meshNames } from '../harness/mesh/index.ts';
import type { MeshName } from '../harness/mesh/index.ts';
import { errorText } from '../harness/text.ts';
import { BadInputError, InfrastructureError } from './exit-codes.ts';

/** The connection settings of a migrate invocation. */
export interface MigrateConnection { kubeconfig: string | undefined; context: string | undefined }

export function meshNamed(name: string, role: string): MeshName {
  if (!(meshNames as string[]).includes(name)) throw new BadInputError(`unknown ${role} mesh "${name}": expected one of ${meshNames.join(', ')}`);
  return name as MeshName;
}

export function connect(inv: MigrateConnection): KubeClient {
  const kubeconfig = resolve(inv.kubeconfig ?? defaultKubeconfig(process.env));
  try {
    accessSync(kubeconfig, constants.R_OK);
  } catch {
    throw new BadInputError(`cannot read kubeconfig ${kubeconfig}: pass --kubeconfig FILE or set KUBECONFIG`);
  }
  try {
    return KubeClient.connect({ kubeconfig, context: inv.context });
  } catch (err) {
    throw new BadInputError(`unusable kubeconfig ${kubeconfig}: ${errorText(err)}`);
  }
}

/** Turns "cannot reach / not allowed" into bad input that says what to do. */
export async function reaching<T>(client: KubeClient, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Throttled, failing or resetting through every retry: nothing for the user to change (exit 3), as cleanup says it.
    if (err instanceof KubeApiError && isRetryable(err) && (err.code !== undefined || /ECONNRESET|socket hang up/i.test(err.message))) {
      throw new InfrastructureError(`the API server ${client.server} (context ${client.context}) stayed unavailable through every retry: ${err.message}; retry later`);
    }
    if (err instanceof KubeApiError && (err.code === undefined || err.code === 401 || err.code === 403)) {
      const why = err.code === undefined ? 'cannot reach the API server' : err.code === 401 ? 'the API server rejected the credentials (401)' : 'not allowed to read the cluster (403)';
      throw new BadInputError(`${why} ${client.server} (context ${client.context}): check --kubeconfig/--context and that the cluster is up; ${err.message}`);
    }
    throw err;
  }
}

export function readJson<T>(file: string, kind: string, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BadInputError(`cannot read ${what} ${file}: ${errorText(err)}`);
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { kind?: unknown }).kind !== kind) throw new BadInputError(`${file} is not a ${what} (kind ${kind}): write one with \`mesh-conformance migrate ${kind === 'MeshMigrationBehaviour' ? 'baseline --out FILE' : 'inventory -o json'}\``);
  return parsed as T;
}

/** Aborts on Ctrl-C so the probe pods are deleted before the process ends. */
export function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: controller.signal, dispose: () => { process.removeListener('SIGINT', onSignal); process.removeListener('SIGTERM', onSignal); } };
}

