/**
 * The run's configuration, resolved once by the CLI and written to the run's folder; the Playwright runner, its
 * workers, the reporters and the cleanup read that file (named by one variable) and parse it with the same schema.
 * Credentials are never written there: they stay in the environment variables the user set them in.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigInput } from './config-schema.ts';
import type { ConfigLayer, ConformanceConfig } from './resolve-config.ts';
import { ConfigError, envNames, resolveConfig } from './resolve-config.ts';
import { urlHasCredentials } from '../report/redact.ts';
import { kubeconfigSeed, kubeconfigSeedEnv } from '../k8s/kubeconfig.ts';
import type { ResolvedKubeconfig } from '../k8s/kubeconfig.ts';

/** The one variable the CLI hands to the test runner: the path of the run's config file. */
export const runConfigEnv = 'MESH_CONFORMANCE_RUN_CONFIG';

/** Every file and folder a run writes, from one place. */
export interface RunPaths {
  /** `<reportDir>/runs/<runId>`: the run's own records. */
  dir: string;
  config: string;
  /** The namespace fixture's cleanup records. */
  cleanup: string;
  /** The journal of cluster-wide changes not yet restored (harness/k8s/shared-change.ts). */
  clusterChanges: string;
  /** The run's namespaces, one empty file each, and the journal of the metrics collection (harness/metrics/collection-journal.ts). */
  namespaces: string;
  metricsCollection: string;
  /** The simulated cluster's files on the local target (kubeconfig, request log). */
  simulator: string;
  kubeconfig: string;
  requestLog: string;
  summary: string;
  junit: string;
  results: string;
  html: string;
  testOutput: string;
  allureResults: string;
  diagnostics: string;
  /** The cluster facts the worker read (server and mesh versions, provider), for the ConformanceReport. */
  environment: string;
  /** The ConformanceReport, YAML and JSON (harness/report/conformance-report.ts). */
  conformanceReport: string;
  conformanceReportJson: string;
  /** In-cluster mode: the kubeconfig built from the pod's service account (harness/config/in-cluster.ts). */
  inClusterKubeconfig: string;
}

export function runPaths(reportDir: string, runId: string): RunPaths {
  const simulator = join(reportDir, 'simulator', runId);
  const dir = join(reportDir, 'runs', runId);
  return {
    dir,
    config: join(dir, 'config.json'),
    cleanup: join(dir, 'cleanup'),
    clusterChanges: join(dir, 'cluster-changes'),
    namespaces: join(dir, 'namespaces'),
    metricsCollection: join(dir, 'metrics-collection'),
    simulator,
    kubeconfig: join(simulator, 'kubeconfig'),
    requestLog: join(simulator, 'requests.jsonl'),
    summary: join(reportDir, 'summary.txt'),
    junit: join(reportDir, 'junit.xml'),
    results: join(reportDir, 'results.json'),
    html: join(reportDir, 'html'),
    testOutput: join(reportDir, 'test-output'),
    allureResults: join(reportDir, 'allure-results'),
    diagnostics: join(reportDir, 'diagnostics'),
    environment: join(dir, 'environment.json'),
    conformanceReport: join(reportDir, 'conformance-report.yaml'),
    conformanceReportJson: join(reportDir, 'conformance-report.json'),
    inClusterKubeconfig: join(dir, 'in-cluster.kubeconfig'),
  };
}

/** The keys that hold credentials: never written to disk. */
const secretKeys = ['prometheusToken', 'azureToken'] as const;
/** URL keys: written to disk only when the URL carries no credential (user info, `?api_key=`); else passed in the environment. */
const urlKeys = ['prometheusUrl', 'logAnalyticsEndpoint'] as const;

/** A resolved configuration as schema input again (every value explicit), without credentials. */
export function toConfigInput(c: ConformanceConfig): ConfigInput {
  const la = c.metrics.logAnalytics;
  return {
    target: c.target, flavor: c.target === 'local' ? c.flavor : undefined, kubeconfig: c.kubeconfig, context: c.context,
    mesh: c.mesh, meshName: c.meshName || undefined, meshNamespace: c.meshNamespace, meshRevision: c.meshRevision,
    ingress: c.ingress, ingressAddress: c.ingressAddress, ingressSourceCidr: c.ingressSourceCidr, gatewayClass: c.gatewayClass, gatewayService: c.gatewayService,
    applicationLoadBalancer: c.applicationLoadBalancer, dnsServer: c.dnsServer, extAuthzDenyPath: c.extAuthzDenyPath, extAuthzDenyHeader: c.extAuthzDenyHeader, sampleImage: c.sampleImage, sampleArch: c.sampleArch,
    parallelism: c.parallelism, consecutiveSuccesses: c.consecutiveSuccesses, timeouts: { ...c.timeouts },
    keepOnFailure: c.keepOnFailure, sweep: c.sweep, sweepTtl: c.sweepTtl, allowClusterChanges: [...c.clusterChanges],
    reportDir: c.reportDir, runId: c.runId, simFaults: [...c.simFaults], controlPlane: c.controlPlane, simRequestLog: c.simRequestLog,
    prometheusUrl: c.metrics.prometheusUrl, prometheusTokenFile: c.metrics.prometheusTokenFile, prometheusCaFile: c.metrics.prometheusCaFile,
    prometheusAuth: c.metrics.prometheusAuth, metricsCluster: c.metrics.cluster, logAnalyticsWorkspace: la?.workspaceId, logAnalyticsEndpoint: la?.endpoint,
    azureTokenFile: la?.tokenFile, azureCaFile: la?.caFile, metricsTimeout: c.metrics.timeoutMs,
    inCluster: c.inCluster || undefined, resultsDir: c.resultsDir,
  };
}

/** Writes the run's config file (mode 0600) and returns its path. */
export function writeRunConfig(c: ConformanceConfig): string {
  if (!c.runId) throw new Error('a run config needs a run id');
  const file = runPaths(c.reportDir, c.runId).config;
  mkdirSync(join(file, '..'), { recursive: true });
  const input = Object.fromEntries(Object.entries(toConfigInput(c))
    .filter(([k, v]) => v !== undefined && !(urlKeys.includes(k as (typeof urlKeys)[number]) && typeof v === 'string' && urlHasCredentials(v))));
  writeFileSync(file, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * Reads a run's config file with the same schema (every value re-validated), plus the credentials from the
 * environment variables they came from.
 */
export function readRunConfig(file: string, env: NodeJS.ProcessEnv): ConformanceConfig {
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the run's configuration ${file}: ${err instanceof Error ? err.message : String(err)}; start runs with \`mesh-conformance run\``);
  }
  const fileLayer: ConfigLayer = { nameOf: (key) => `key ${key} in ${file}`, values: values as ConfigLayer['values'] };
  const inFile = values as Record<string, unknown>;
  const secrets: ConfigLayer = {
    nameOf: (key) => envNames[key as (typeof secretKeys)[number]] ?? key,
    values: Object.fromEntries([
      ...secretKeys.map((k): [string, string | undefined] => [k, env[envNames[k]] || undefined]),
      // A URL the file does not hold carried credentials: the CLI passed it in the environment (`runnerEnv`).
      ...urlKeys.map((k): [string, string | undefined] => [k, inFile[k] === undefined ? env[envNames[k]] || undefined : undefined]),
    ]),
  };
  return resolveConfig([fileLayer, secrets]);
}

/**
 * The environment of the test runner the CLI spawns: the caller's, the run's config file, the kubeconfig the CLI
 * read, and the values kept out of that file because they carry credentials (URLs with a password or a token in
 * their query).
 */
export function runnerEnv(c: ConformanceConfig, base: NodeJS.ProcessEnv, configFile: string, kubeconfig?: ResolvedKubeconfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, [runConfigEnv]: configFile };
  // The kubeconfig as the CLI read it (once: it may be a pipe), its selected context only.
  if (kubeconfig) env[kubeconfigSeedEnv] = kubeconfigSeed(kubeconfig);
  else delete env[kubeconfigSeedEnv];
  const urls: Record<(typeof urlKeys)[number], string | undefined> = { prometheusUrl: c.metrics.prometheusUrl, logAnalyticsEndpoint: c.metrics.logAnalytics?.endpoint };
  for (const k of urlKeys) {
    const v = urls[k];
    if (v !== undefined && urlHasCredentials(v)) env[envNames[k]] = v;
    else delete env[envNames[k]];
  }
  return env;
}

/** The run's configuration in a test-runner process: from the file the CLI named, or an error saying how to start a run. */
export function loadRunConfig(env: NodeJS.ProcessEnv = process.env): ConformanceConfig {
  const file = env[runConfigEnv];
  if (!file) throw new ConfigError(`no run configuration: start runs with \`mesh-conformance run\` (it resolves the configuration and passes ${runConfigEnv} to the test runner)`);
  return readRunConfig(file, env);
}
