import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { z } from 'zod';
import type { IngressProfileName } from '../ingress/index.ts';
import { createIngressProfile, ingressFactory } from '../ingress/index.ts';
import type { MeshName } from '../mesh/index.ts';
import { createMeshProfile, meshFactory } from '../mesh/index.ts';
import type { Timeouts } from '../timeouts.ts';
import { timeoutClasses, timeouts as defaultTimeouts } from '../timeouts.ts';
import type { ClusterChange, ConfigKey } from './config-schema.ts';
import { clusterChangeNames, configSchema } from './config-schema.ts';
import type { Flavor, Target } from './targets.ts';
import { flavorOf } from './targets.ts';

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
  /** The control plane's revision (Istio), undefined when unrevisioned or not applicable. */
  meshRevision: string | undefined;
  ingress: IngressProfileName;
  /** The address range of a gateway outside the cluster, admitted by the mesh (AGIC). */
  ingressSourceCidr: string;
  /** A Gateway API ingress's GatewayClass; an existing gateway Service (`ns/name`) to route through. */
  gatewayClass: string | undefined;
  gatewayService: string | undefined;
  /** Where to send ingress traffic instead of the Ingress status address (kind behind NAT, a gateway FQDN). */
  ingressAddress: string | undefined;
  /** The ApplicationLoadBalancer (`ns/name`) an Application Gateway for Containers ingress binds its Gateway to. */
  applicationLoadBalancer: string | undefined;
  /** The external-authorization check's deny probe: the path, and the header (`name: value`) the policy denies. */
  extAuthzDenyPath: string;
  extAuthzDenyHeader: string;
  /** A DNS server (`host:port`) asked first for the ingress's host name (the simulated AKS cluster's public DNS). */
  dnsServer: string | undefined;
  /** Overrides of the mesh's sample: another image, another node architecture (`any`: no arch selector). */
  sampleImage: string | undefined;
  sampleArch: 'amd64' | 'arm64' | 'any' | undefined;
  /** Copies of the flow checked at once, each in a namespace of its own (the default of `run --namespaces`). */
  parallelism: number;
  consecutiveSuccesses: number;
  timeouts: Timeouts;
  keepOnFailure: boolean;
  /** Sweep dead runs' leftovers older than `sweepTtl` (ms) before a run on a real cluster. */
  sweep: boolean;
  sweepTtl: number;
  /** Cluster-wide changes the user allowed (on the local target, the simulator's own: all that its ingress can serve). */
  clusterChanges: ClusterChange[];
  reportDir: string;
  runId: string | undefined;
  simFaults: string[];
  /** Local target: which control plane runs the simulated cluster (embedded: ours; upstream: Kubernetes' own). */
  controlPlane: 'embedded' | 'upstream';
  /** Local target: the simulator's API request log (JSONL), attached to a failed check's diagnostics. */
  simRequestLog: string | undefined;
  /** Where the metrics check reads sidecar metrics (see README "Metrics"). */
  metrics: MetricsConfig;
  /** The run reaches its cluster with the pod's in-cluster configuration (the report's mode `in-cluster`). */
  inCluster: boolean;
  /** A copy of the results for an engine (junit.xml, the ConformanceReport, summary, diagnostics; Sonobuoy's done file). */
  resultsDir: string | undefined;
}

/**
 * The metrics check's sources: a Prometheus URL (with optional bearer token) wins; else a Log Analytics
 * workspace (aks); else the mesh's in-cluster Prometheus through the API server. `timeoutMs` bounds the wait
 * for the counters (default 10 min on aks, where ingestion takes minutes; 2 min on kind; 90 s on local).
 */
export interface MetricsConfig {
  prometheusUrl: string | undefined;
  prometheusToken: string | undefined;
  prometheusTokenFile: string | undefined;
  prometheusCaFile: string | undefined;
  /** `bearer` (the token or token file, if any) or `azure` (DefaultAzureCredential, managed Prometheus's audience). */
  prometheusAuth: 'bearer' | 'azure';
  /** The `cluster` label value added to every query, when the Prometheus serves several clusters. */
  cluster: string | undefined;
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

/** Environment variable names, `MESH_CONFORMANCE_<KEY>`: the user's way to configure a run without flags or a file. */
export const envNames = {
  target: 'MESH_CONFORMANCE_TARGET',
  flavor: 'MESH_CONFORMANCE_FLAVOR',
  kubeconfig: 'MESH_CONFORMANCE_KUBECONFIG',
  context: 'MESH_CONFORMANCE_CONTEXT',
  mesh: 'MESH_CONFORMANCE_MESH',
  meshName: 'MESH_CONFORMANCE_MESH_NAME',
  meshNamespace: 'MESH_CONFORMANCE_MESH_NAMESPACE',
  meshRevision: 'MESH_CONFORMANCE_MESH_REVISION',
  ingress: 'MESH_CONFORMANCE_INGRESS',
  ingressSourceCidr: 'MESH_CONFORMANCE_INGRESS_SOURCE_CIDR',
  gatewayClass: 'MESH_CONFORMANCE_GATEWAY_CLASS',
  sampleImage: 'MESH_CONFORMANCE_SAMPLE_IMAGE',
  sampleArch: 'MESH_CONFORMANCE_SAMPLE_ARCH',
  gatewayService: 'MESH_CONFORMANCE_GATEWAY_SERVICE',
  ingressAddress: 'MESH_CONFORMANCE_INGRESS_ADDRESS',
  applicationLoadBalancer: 'MESH_CONFORMANCE_APPLICATION_LOAD_BALANCER',
  dnsServer: 'MESH_CONFORMANCE_DNS_SERVER',
  extAuthzDenyPath: 'MESH_CONFORMANCE_EXT_AUTHZ_DENY_PATH',
  extAuthzDenyHeader: 'MESH_CONFORMANCE_EXT_AUTHZ_DENY_HEADER',
  parallelism: 'MESH_CONFORMANCE_PARALLELISM',
  consecutiveSuccesses: 'MESH_CONFORMANCE_CONSECUTIVE_SUCCESSES',
  timeouts: 'MESH_CONFORMANCE_TIMEOUT_',
  keepOnFailure: 'MESH_CONFORMANCE_KEEP_ON_FAILURE',
  sweep: 'MESH_CONFORMANCE_SWEEP',
  sweepTtl: 'MESH_CONFORMANCE_SWEEP_TTL',
  allowClusterChanges: 'MESH_CONFORMANCE_ALLOW_CLUSTER_CHANGES',
  reportDir: 'MESH_CONFORMANCE_REPORT_DIR',
  runId: 'MESH_CONFORMANCE_RUN_ID',
  simFaults: 'MESH_CONFORMANCE_SIM_FAULTS',
  controlPlane: 'MESH_CONFORMANCE_CONTROL_PLANE',
  simRequestLog: 'MESH_CONFORMANCE_SIM_REQUEST_LOG',
  prometheusUrl: 'MESH_CONFORMANCE_PROMETHEUS_URL',
  prometheusToken: 'MESH_CONFORMANCE_PROMETHEUS_TOKEN',
  prometheusTokenFile: 'MESH_CONFORMANCE_PROMETHEUS_TOKEN_FILE',
  prometheusCaFile: 'MESH_CONFORMANCE_PROMETHEUS_CA_FILE',
  prometheusAuth: 'MESH_CONFORMANCE_PROMETHEUS_AUTH',
  metricsCluster: 'MESH_CONFORMANCE_METRICS_CLUSTER',
  logAnalyticsWorkspace: 'MESH_CONFORMANCE_LOG_ANALYTICS_WORKSPACE',
  logAnalyticsEndpoint: 'MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT',
  azureToken: 'MESH_CONFORMANCE_AZURE_TOKEN',
  azureTokenFile: 'MESH_CONFORMANCE_AZURE_TOKEN_FILE',
  azureCaFile: 'MESH_CONFORMANCE_AZURE_CA_FILE',
  metricsTimeout: 'MESH_CONFORMANCE_METRICS_TIMEOUT',
  inCluster: 'MESH_CONFORMANCE_IN_CLUSTER',
  resultsDir: 'MESH_CONFORMANCE_RESULTS_DIR',
} as const satisfies Record<ConfigKey, string>;

const timeoutEnv = (cls: string): string => `${envNames.timeouts}${cls.toUpperCase()}`;

/** Reads the `MESH_CONFORMANCE_*` variables (plus the `KEEP_ON_FAILURE=1` shorthand) into a layer. */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const [key, name] of Object.entries(envNames) as [ConfigKey, string][]) {
    if (key === 'timeouts') continue;
    const v = env[name];
    if (v !== undefined && v !== '') values[key] = v;
  }
  if (values.keepOnFailure === undefined && env.KEEP_ON_FAILURE) values.keepOnFailure = env.KEEP_ON_FAILURE;
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

/**
 * The kubeconfig a real target uses when none is given: `$KUBECONFIG` (every entry: kubectl merges them), else
 * `~/.kube/config`. Relative entries are the caller's to resolve (against the working directory).
 */
export function defaultKubeconfig(env: NodeJS.ProcessEnv): string {
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.trim() !== '');
  return files.length ? files.join(delimiter) : join(homedir(), '.kube', 'config');
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
    throw new ConfigError(`Invalid configuration: flavor applies only to target local (got flavor ${c.flavor} from ${sourceOf('flavor')} with target ${c.target}): drop ${sourceOf('flavor')} (target ${c.target} always uses the ${c.target} profile), or use --target local for a simulated ${c.flavor} cluster`);
  }
  const flavor = flavorOf(c.target, c.flavor ?? 'kind');
  const mesh = c.mesh ?? 'osm';
  const d = meshFactory(mesh).defaults(flavor);
  const ingress = (c.ingress ?? d.ingress) as IngressProfileName;
  // Budgets: the defaults, what the ingress needs on this target, then what the user set.
  const profileBudgets = ingressFactory(ingress)?.budgets[c.target] ?? {};
  const timeouts = { ...defaultTimeouts, ...profileBudgets, ...Object.fromEntries(Object.entries(c.timeouts).filter(([, v]) => v !== undefined)) } as Timeouts;
  const meshNamespace = c.meshNamespace ?? d.namespace;
  const meshProfile = createMeshProfile({ mesh, meshNamespace, meshName: c.meshName ?? d.meshName, meshRevision: c.meshRevision, target: c.target });
  const ingressProfile = createIngressProfile({ ingress, flavor, ingressSourceCidr: c.ingressSourceCidr, gatewayClass: c.gatewayClass, gatewayService: c.gatewayService, applicationLoadBalancer: c.applicationLoadBalancer });
  if (ingressProfile && !meshProfile.ingressPolicy.admits.includes(ingressProfile.sourceKind)) {
    throw new ConfigError(`Invalid configuration: ingress ${ingress} presents its traffic as a ${ingressProfile.sourceKind} source, which the ${meshProfile.title} profile cannot admit (it admits ${meshProfile.ingressPolicy.admits.join(', ')}); choose another ingress (${sourceOf('ingress')})`);
  }
  // A cluster change asked for by name whose feature the ingress can never serve (AGIC and mTLS to backends): the run
  // cannot do what the user asked, so it is refused before anything runs rather than skipped at the check.
  const refused = (c.allowClusterChanges ?? []).map((change) => ({ change, why: ingressProfile?.refusedFeatures?.[change] })).find((r) => r.why !== undefined);
  if (refused) {
    const from = c.ingress === undefined ? `the ${meshProfile.title} default on ${flavor}` : sourceOf('ingress');
    throw new ConfigError(`Invalid configuration: ${sourceOf('allowClusterChanges')} ${refused.change} asks for the extended check ${refused.change}, which ingress ${ingress} (${from}) cannot serve: ${refused.why ?? ''}`);
  }
  return {
    target: c.target,
    flavor,
    kubeconfig: c.kubeconfig,
    context: c.context,
    mesh,
    meshName: c.meshName ?? d.meshName,
    meshNamespace,
    meshRevision: c.meshRevision,
    ingress,
    ingressSourceCidr: c.ingressSourceCidr,
    gatewayClass: c.gatewayClass,
    sampleImage: c.sampleImage,
    sampleArch: c.sampleArch,
    gatewayService: c.gatewayService,
    ingressAddress: c.ingressAddress,
    applicationLoadBalancer: c.applicationLoadBalancer,
    dnsServer: c.dnsServer,
    extAuthzDenyPath: c.extAuthzDenyPath,
    extAuthzDenyHeader: c.extAuthzDenyHeader,
    parallelism: c.parallelism,
    consecutiveSuccesses: c.consecutiveSuccesses,
    timeouts,
    keepOnFailure: c.keepOnFailure,
    sweep: c.sweep,
    sweepTtl: c.sweepTtl,
    // The simulator's own cluster allows every change its ingress can serve (the resolved list goes to the runner's
    // config as given, so a change the ingress refuses must not be in it).
    clusterChanges: c.allowClusterChanges ?? (c.target === 'local' ? clusterChangeNames.filter((n) => ingressProfile?.refusedFeatures?.[n] === undefined) : []),
    reportDir: c.reportDir,
    runId: c.runId,
    simFaults: c.simFaults,
    controlPlane: c.controlPlane,
    simRequestLog: c.simRequestLog,
    metrics: {
      prometheusUrl: c.prometheusUrl,
      prometheusToken: c.prometheusToken,
      prometheusTokenFile: c.prometheusTokenFile,
      prometheusCaFile: c.prometheusCaFile,
      prometheusAuth: c.prometheusAuth ?? 'bearer',
      cluster: c.metricsCluster,
      logAnalytics: c.logAnalyticsWorkspace
        ? { workspaceId: c.logAnalyticsWorkspace, endpoint: c.logAnalyticsEndpoint, token: c.azureToken, tokenFile: c.azureTokenFile, caFile: c.azureCaFile }
        : undefined,
      timeoutMs: c.metricsTimeout ?? metricsTimeoutDefaults[c.target],
    },
    inCluster: c.inCluster ?? false,
    resultsDir: c.resultsDir,
  };
}
