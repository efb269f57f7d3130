import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { IngressProfileName } from '../ingress/ingress-profile.ts';
import type { MeshName } from '../mesh/mesh-profile.ts';
import type { Timeouts } from '../timeouts.ts';
import { timeoutClasses } from '../timeouts.ts';
import type { ConfigKey } from './config-schema.ts';
import { configSchema } from './config-schema.ts';
import type { Flavor, Target } from './targets.ts';
import { flavorDefaults, flavorOf } from './targets.ts';

/** The configuration a run uses: every value decided, profiles derived from the target and flavor. */
export interface ConformanceConfig {
  target: Target;
  /** The cluster shape that selects the profiles (the simulator flavor for `local`). */
  flavor: Flavor;
  kubeconfig: string | undefined;
  context: string | undefined;
  mesh: MeshName;
  meshName: string;
  meshNamespace: string;
  ingress: IngressProfileName;
  /** Where to send ingress traffic instead of the Ingress status address (kind behind NAT, a gateway FQDN). */
  ingressAddress: string | undefined;
  /** Copies of the flow checked at once, each in a namespace of its own (the default of `run --namespaces`). */
  parallelism: number;
  consecutiveSuccesses: number;
  timeouts: Timeouts;
  keepOnFailure: boolean;
  /** Sweep dead runs' leftovers older than `sweepTtl` (ms) before a run on a real cluster. */
  sweep: boolean;
  sweepTtl: number;
  reportDir: string;
  runId: string | undefined;
  simFaults: string[];
  /** Local target: the simulator's API request log (JSONL), attached to a failed check's diagnostics. */
  simRequestLog: string | undefined;
  /** Where the metrics check reads sidecar metrics (see README "Metrics"). */
  metrics: MetricsConfig;
}

/**
 * The metrics check's sources: a Prometheus URL (with optional bearer token) wins; else a Log Analytics
 * workspace (aks); else the mesh's in-cluster Prometheus through the API server. `timeoutMs` bounds the wait
 * for the counters (default 10 min on aks, where ingestion takes minutes; 2 min on kind; 90 s on local).
 */
export interface MetricsConfig {
  prometheusUrl: string | undefined;
  prometheusToken: string | undefined;
  logAnalytics: { workspaceId: string; endpoint: string | undefined; token: string | undefined; tokenFile: string | undefined; caFile: string | undefined } | undefined;
  timeoutMs: number;
}

/** Default wait for metrics per target: Azure Monitor ingestion takes minutes; OSM's Prometheus scrapes every 10 s. */
export const metricsTimeoutDefaults = { local: 90_000, kind: 120_000, aks: 600_000 } as const satisfies Record<Target, number>;

/** One source of raw values (flags, env, later a config file), named so messages can say where a value came from. */
export interface ConfigLayer {
  /** How to name a key from this source in a message: `--target`, `MESH_CONFORMANCE_TARGET`. */
  nameOf: (key: ConfigKey | `timeouts.${string}`) => string;
  values: Partial<Record<ConfigKey, unknown>>;
}

/** Invalid input: one line naming the key, the source and the allowed values. The CLI maps it to exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Environment variable names, `MESH_CONFORMANCE_<KEY>`, the channel from the CLI to Playwright workers. */
export const envNames = {
  target: 'MESH_CONFORMANCE_TARGET',
  flavor: 'MESH_CONFORMANCE_FLAVOR',
  kubeconfig: 'MESH_CONFORMANCE_KUBECONFIG',
  context: 'MESH_CONFORMANCE_CONTEXT',
  mesh: 'MESH_CONFORMANCE_MESH',
  meshName: 'MESH_CONFORMANCE_MESH_NAME',
  meshNamespace: 'MESH_CONFORMANCE_MESH_NAMESPACE',
  ingress: 'MESH_CONFORMANCE_INGRESS',
  ingressAddress: 'MESH_CONFORMANCE_INGRESS_ADDRESS',
  parallelism: 'MESH_CONFORMANCE_PARALLELISM',
  consecutiveSuccesses: 'MESH_CONFORMANCE_CONSECUTIVE_SUCCESSES',
  timeouts: 'MESH_CONFORMANCE_TIMEOUT_',
  keepOnFailure: 'MESH_CONFORMANCE_KEEP_ON_FAILURE',
  sweep: 'MESH_CONFORMANCE_SWEEP',
  sweepTtl: 'MESH_CONFORMANCE_SWEEP_TTL',
  reportDir: 'MESH_CONFORMANCE_REPORT_DIR',
  runId: 'MESH_CONFORMANCE_RUN_ID',
  simFaults: 'MESH_CONFORMANCE_SIM_FAULTS',
  simRequestLog: 'MESH_CONFORMANCE_SIM_REQUEST_LOG',
  prometheusUrl: 'MESH_CONFORMANCE_PROMETHEUS_URL',
  prometheusToken: 'MESH_CONFORMANCE_PROMETHEUS_TOKEN',
  logAnalyticsWorkspace: 'MESH_CONFORMANCE_LOG_ANALYTICS_WORKSPACE',
  logAnalyticsEndpoint: 'MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT',
  azureToken: 'MESH_CONFORMANCE_AZURE_TOKEN',
  azureTokenFile: 'MESH_CONFORMANCE_AZURE_TOKEN_FILE',
  azureCaFile: 'MESH_CONFORMANCE_AZURE_CA_FILE',
  metricsTimeout: 'MESH_CONFORMANCE_METRICS_TIMEOUT',
} as const satisfies Record<ConfigKey, string>;

const timeoutEnv = (cls: string): string => `${envNames.timeouts}${cls.toUpperCase()}`;

/** Reads the `MESH_CONFORMANCE_*` variables (plus the `KEEP_ON_FAILURE=1` shorthand) into a layer. */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const [key, name] of Object.entries(envNames) as [ConfigKey, string][]) {
    if (key === 'timeouts' || key === 'simFaults') continue;
    const v = env[name];
    if (v !== undefined && v !== '') values[key] = v;
  }
  if (values.keepOnFailure === undefined && env.KEEP_ON_FAILURE) values.keepOnFailure = env.KEEP_ON_FAILURE;
  const faults = env[envNames.simFaults];
  if (faults) values.simFaults = faults.split(',').map((s) => s.trim()).filter(Boolean);
  const t: Record<string, string> = {};
  for (const cls of timeoutClasses) {
    const v = env[timeoutEnv(cls)];
    if (v) t[cls] = v;
  }
  if (Object.keys(t).length) values.timeouts = t;
  return {
    nameOf: (key) => key.startsWith('timeouts.') ? timeoutEnv(key.slice('timeouts.'.length)) : envNames[key as ConfigKey],
    values,
  };
}

/** Turns a resolved configuration back into `MESH_CONFORMANCE_*` variables for the Playwright workers. */
export function toEnv(config: ConformanceConfig): Record<string, string> {
  const env: Record<string, string> = {
    [envNames.target]: config.target,
    [envNames.flavor]: config.flavor,
    [envNames.mesh]: config.mesh,
    [envNames.meshName]: config.meshName,
    [envNames.meshNamespace]: config.meshNamespace,
    [envNames.ingress]: config.ingress,
    [envNames.consecutiveSuccesses]: String(config.consecutiveSuccesses),
    [envNames.parallelism]: String(config.parallelism),
    [envNames.keepOnFailure]: config.keepOnFailure ? '1' : '0',
    [envNames.sweep]: config.sweep ? '1' : '0',
    [envNames.sweepTtl]: String(config.sweepTtl),
    [envNames.reportDir]: config.reportDir,
  };
  if (config.kubeconfig) env[envNames.kubeconfig] = config.kubeconfig;
  if (config.context) env[envNames.context] = config.context;
  if (config.ingressAddress) env[envNames.ingressAddress] = config.ingressAddress;
  if (config.runId) env[envNames.runId] = config.runId;
  if (config.simFaults.length) env[envNames.simFaults] = config.simFaults.join(',');
  if (config.simRequestLog) env[envNames.simRequestLog] = config.simRequestLog;
  for (const cls of timeoutClasses) env[timeoutEnv(cls)] = String(config.timeouts[cls]);
  const m = config.metrics;
  env[envNames.metricsTimeout] = String(m.timeoutMs);
  if (m.prometheusUrl) env[envNames.prometheusUrl] = m.prometheusUrl;
  if (m.prometheusToken) env[envNames.prometheusToken] = m.prometheusToken;
  if (m.logAnalytics) {
    env[envNames.logAnalyticsWorkspace] = m.logAnalytics.workspaceId;
    if (m.logAnalytics.endpoint) env[envNames.logAnalyticsEndpoint] = m.logAnalytics.endpoint;
    if (m.logAnalytics.token) env[envNames.azureToken] = m.logAnalytics.token;
    if (m.logAnalytics.tokenFile) env[envNames.azureTokenFile] = m.logAnalytics.tokenFile;
    if (m.logAnalytics.caFile) env[envNames.azureCaFile] = m.logAnalytics.caFile;
  }
  return env;
}

/** The kubeconfig a real target uses when none is given: `$KUBECONFIG` (first entry), else `~/.kube/config`. */
export function defaultKubeconfig(env: NodeJS.ProcessEnv): string {
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p.trim() !== '');
  return first ? resolve(first) : join(homedir(), '.kube', 'config');
}

function merge(layers: ConfigLayer[]): { raw: Record<string, unknown>; sourceOf: (path: string) => string } {
  const raw: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      if (key === 'timeouts' && typeof value === 'object' && value !== null) {
        raw.timeouts = { ...(raw.timeouts as object | undefined), ...value };
        for (const cls of Object.keys(value)) sources.set(`timeouts.${cls}`, layer.nameOf(`timeouts.${cls}`));
      } else {
        raw[key] = value;
        sources.set(key, layer.nameOf(key as ConfigKey));
      }
    }
  }
  return { raw, sourceOf: (path) => sources.get(path) ?? path };
}

function valueAt(raw: Record<string, unknown>, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function formatIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>, sourceOf: (path: string) => string): string {
  const top = issue.path.filter((p) => typeof p !== 'number').map(String).join('.');
  const value = valueAt(raw, issue.path.filter((p) => typeof p !== 'number'));
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value)} from ${sourceOf(top)})`;
  return `${top || 'config'} ${issue.message}${got}`;
}

/**
 * Merges sources (later layers win: defaults < config file < environment < flags), validates with zod and
 * derives the profile defaults. Throws `ConfigError` with one line per the first problem found.
 */
export function resolveConfig(layers: ConfigLayer[]): ConformanceConfig {
  const { raw, sourceOf } = merge(layers);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue ? formatIssue(issue, raw, sourceOf) : parsed.error.message}`);
  }
  const c = parsed.data;
  if (c.flavor !== undefined && c.target !== 'local' && c.flavor !== c.target) {
    throw new ConfigError(`Invalid configuration: flavor applies only to target local (got flavor ${c.flavor} from ${sourceOf('flavor')} with target ${c.target}); target ${c.target} always uses the ${c.target} profile`);
  }
  const flavor = flavorOf(c.target, c.flavor ?? 'kind');
  const d = flavorDefaults[flavor];
  return {
    target: c.target,
    flavor,
    kubeconfig: c.kubeconfig,
    context: c.context,
    mesh: c.mesh ?? d.mesh,
    meshName: c.meshName ?? d.meshName,
    meshNamespace: c.meshNamespace ?? d.meshNamespace,
    ingress: c.ingress ?? d.ingress,
    ingressAddress: c.ingressAddress,
    parallelism: c.parallelism,
    consecutiveSuccesses: c.consecutiveSuccesses,
    timeouts: c.timeouts,
    keepOnFailure: c.keepOnFailure,
    sweep: c.sweep,
    sweepTtl: c.sweepTtl,
    reportDir: c.reportDir,
    runId: c.runId,
    simFaults: c.simFaults,
    simRequestLog: c.simRequestLog,
    metrics: {
      prometheusUrl: c.prometheusUrl,
      prometheusToken: c.prometheusToken,
      logAnalytics: c.logAnalyticsWorkspace
        ? { workspaceId: c.logAnalyticsWorkspace, endpoint: c.logAnalyticsEndpoint, token: c.azureToken, tokenFile: c.azureTokenFile, caFile: c.azureCaFile }
        : undefined,
      timeoutMs: c.metricsTimeout ?? metricsTimeoutDefaults[c.target],
    },
  };
}
