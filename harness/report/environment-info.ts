/**
 * The report's environment: where the run went (target, context, API server and its version), which mesh
 * (profile, namespace, version) and which ingress profile. Written once per run as Allure's
 * `environment.properties` by a worker fixture, because the versions come from the cluster.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConformanceConfig } from '../config/resolve-config.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { readServerVersion } from '../readiness/cluster-facts.ts';
import { readProvider } from './provider.ts';
import { errorText } from '../text.ts';

/** The environment of one run, as shown in the report. Values are text; unknown ones say why. */
export type RunEnvironment = Record<string, string>;

/** The results directory allure-playwright writes to (playwright.config.ts uses the same). */
export function allureResultsDir(reportDir: string): string {
  return join(reportDir, 'allure-results');
}

const reason = (err: unknown): string => `unknown (${errorText(err)})`;

/**
 * Collects the run's environment: the configuration's target, flavor and profiles, and from the cluster the
 * server version and the mesh version. A failed read becomes `unknown (<why>)`, never an error.
 */
export async function collectRunEnvironment(client: KubeClient, config: ConformanceConfig, mesh: MeshProfile, budgetMs: number): Promise<RunEnvironment> {
  const [server, meshVersion, meshDetails, provider] = await Promise.all([
    readServerVersion(client, budgetMs).then((v) => v.gitVersion, reason),
    mesh.version(client, budgetMs).then((v) => v ?? `not found (no control plane in ${mesh.settings.namespace})`, reason),
    mesh.environment(client, budgetMs).catch((err: unknown) => ({ meshDetails: reason(err) })),
    readProvider(client, budgetMs).then((p) => p ?? 'unknown (neither the nodes\' providerID nor the server name say)', reason),
  ]);
  return {
    target: config.target,
    flavor: config.flavor,
    context: client.context,
    server: client.server,
    serverVersion: server,
    mesh: mesh.describe(),
    meshVersion,
    ...meshDetails,
    ingressProfile: config.ingress,
    runId: config.runId ?? '',
    provider,
  };
}

/** Java-properties text (what Allure reads): one `key=value` a line, with `\`, newlines and separators escaped. */
export function toProperties(env: RunEnvironment): string {
  const esc = (s: string, key: boolean): string => s
    .replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    .replace(key ? /[=: ]/g : /^ /, (c) => `\\${c}`);
  return Object.entries(env).map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`).join('\n') + '\n';
}

/** Whether an environment value is one that says why it is unknown (`unknown (…)`, `not found (…)`). */
export function isUnknownValue(value: string | undefined): boolean {
  return value === undefined || /^(unknown|not found)\b/.test(value);
}

/** Writes the environment as JSON (the ConformanceReport reads it: harness/config/run-config.ts `environment`). */
export function writeRunEnvironment(file: string, env: RunEnvironment): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(env, null, 2)}\n`);
}

/** Writes `environment.properties` into the Allure results directory. */
export function writeAllureEnvironment(resultsDir: string, env: RunEnvironment): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'environment.properties');
  writeFileSync(file, toProperties(env));
  return file;
}
