import { z } from 'zod';
import { defaultSweepTtlMs } from '../cleanup/leftovers.ts';
import { ingressProfileNames } from '../ingress/index.ts';
import { meshNames } from '../mesh/index.ts';
import type { timeouts } from '../timeouts.ts';
import { timeoutClasses } from '../timeouts.ts';
import { flavors, targets } from './targets.ts';

/**
 * The cluster-wide changes a run may make when the user allows them, each restored afterwards (an extended check
 * that changes cluster-wide state adds its name here):
 * - `metrics-collection`: the run's namespace merged into the metrics backend's collection settings;
 * - `external-authorization`: the mesh's inbound external authorization turned on, pointing at the cluster's
 *   authorization service (docs/external-authorization.md);
 * - `ingress-mtls`: the mesh's ingress gateway certificate set in its configuration (OSM: MeshConfig
 *   `certificate.ingressGateway`), for the extended check ingress-mtls.
 */
export const clusterChangeNames = ['metrics-collection', 'external-authorization', 'ingress-mtls'] as const;
export type ClusterChange = (typeof clusterChangeNames)[number];

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `must be one of ${values.join(', ')}` });

/** The longest duration any setting takes (a day): beyond it Node's timers overflow and a "budget" means nothing. */
export const maxDurationMs = 24 * 3_600_000;

/** Parses `90s`, `2m`, `1.5h`, `1500ms` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1;
  return n * unit;
}

/** A duration in ms, from a number of ms or text such as `90s`; `min` 0 allows zero (a TTL of "any age"). */
const duration = (example: string, min: 0 | 1) => z.union([z.number(), z.string()], { error: () => `must be a duration such as ${example}` })
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms < min || ms > maxDurationMs) {
      ctx.addIssue({ code: 'custom', message: `must be a ${min ? 'positive ' : ''}duration such as ${example}, at most 24h` });
      return z.NEVER;
    }
    return ms;
  });
const durationMs = duration('90s, 2m or 1500 (ms)', 1);

const booleanish = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: 'must be one of true, false, 1, 0' });
  return z.NEVER;
});

const optionalText = z.string().trim().min(1, { error: 'must not be empty' }).optional();
const wholeNumber = (min: number, max: number) => z.coerce.number({ error: () => `must be a whole number from ${min} to ${max}` })
  .int({ error: `must be a whole number from ${min} to ${max}` }).min(min, { error: `must be a whole number from ${min} to ${max}` })
  .max(max, { error: `must be a whole number from ${min} to ${max}` });
/** A list from an array or a comma-separated string (environment variables). */
const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item));

/** The configuration of one run as its sources give it; `resolveConfig` merges them and derives the rest. */
export const configSchema = z.object({
  target: oneOf(targets).default('local'),
  flavor: oneOf(flavors).optional(),
  kubeconfig: optionalText,
  context: optionalText,
  mesh: oneOf(meshNames).optional(),
  meshName: optionalText,
  meshNamespace: optionalText,
  /** A revisioned control plane (Istio's `asm-1-30`); detected from the cluster when not given. */
  meshRevision: optionalText,
  ingress: oneOf(ingressProfileNames).optional(),
  ingressAddress: z.string().trim().regex(/^(https?:\/\/)?(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d{1,5})?\/?$/i, { error: 'must be a host, host:port or http(s) URL such as localhost, 127.0.0.1:8080 or http://gw.example' }).optional(),
  /** The address range of a gateway outside the cluster (AGIC's Application Gateway subnet), admitted by the mesh. */
  ingressSourceCidr: z.string().trim().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, { error: 'must be an IPv4 CIDR such as 10.225.0.0/16' }).default('10.0.0.0/8'),
  /** The GatewayClass a Gateway API ingress writes (default: the ingress profile's). */
  gatewayClass: optionalText,
  /** `namespace/name` of an existing gateway Service an ingress profile routes through (default: the profile's, by flavor). */
  gatewayService: z.string().trim().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, { error: 'must be namespace/name of a Service' }).optional(),
  /** `namespace/name` of the ApplicationLoadBalancer an Application Gateway for Containers Gateway is bound to (ALB-managed). */
  applicationLoadBalancer: z.string().trim().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, { error: 'must be namespace/name of an ApplicationLoadBalancer' }).optional(),
  /** A DNS server (`host:port`) that resolves the ingress's host name before the system's resolver does (the simulated AKS cluster's public DNS). */
  /** The external-authorization check's deny probe: the path it requests, and the header the policy denies (`name: value`). */
  extAuthzDenyPath: z.string().trim().regex(/^\/[^\s]*$/, { error: 'must be a request path such as /get' }).default('/get'),
  extAuthzDenyHeader: z.string().trim().regex(/^[A-Za-z0-9-]+:\s*\S.*$/, { error: 'must be a header as name: value, such as x-mesh-conformance-authz: deny' }).default('x-mesh-conformance-authz: deny'),
  dnsServer: z.string().trim().regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])(:\d{1,5})?$/i, { error: 'must be an IP address with an optional port, such as 127.0.0.1:5353' }).optional(),
  /** The sample's image instead of the mesh's published one (a mirror, a digest, an arm64 build: docs/kind.md). */
  sampleImage: z.string().trim().regex(/^[a-z0-9][a-z0-9._/:@-]*$/i, { error: 'must be an image reference such as registry.example/httpbin@sha256:…' }).optional(),
  /** The node architecture the sample is scheduled on: amd64 or arm64, or any (no `kubernetes.io/arch` selector). */
  sampleArch: oneOf(['amd64', 'arm64', 'any'] as const).optional(),
  /** Copies of the flow checked at once, one namespace each: the default of `run --namespaces`. */
  parallelism: wholeNumber(1, 50).default(1),
  consecutiveSuccesses: wholeNumber(1, 100).default(5),
  timeouts: z.object(Object.fromEntries(timeoutClasses.map((k) => [k, durationMs.optional()])) as Record<keyof typeof timeouts, z.ZodOptional<typeof durationMs>>).default({}),
  keepOnFailure: booleanish.default(false),
  /** Sweep dead runs' leftovers before a run on a real cluster (harness/cleanup/leftovers.ts). */
  sweep: booleanish.default(true),
  /** Age after which a dead run's namespace is swept: 30m, 2h, 90s, 0 (any dead run); default 1h. */
  sweepTtl: duration('30m, 2h or 0', 0).default(defaultSweepTtlMs),
  /** Cluster-wide changes the run may make (merged and restored): none unless allowed. */
  allowClusterChanges: list(oneOf(clusterChangeNames)).optional(),
  reportDir: z.string().trim().min(1, { error: 'must not be empty' }).default('reports'),
  runId: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/i, { error: 'must be a valid label value (letters, digits, -, ., at most 63)' }).optional(),
  prometheusUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://prometheus.example:9090' }).optional(),
  prometheusToken: optionalText,
  /** A file holding the Prometheus bearer token (read at each connect, so a refreshed file is picked up). */
  prometheusTokenFile: optionalText,
  /** PEM file of a CA to trust for the Prometheus URL. */
  prometheusCaFile: optionalText,
  /** `azure`: get the bearer token from DefaultAzureCredential for Azure Monitor managed Prometheus. */
  prometheusAuth: oneOf(['bearer', 'azure'] as const).optional(),
  /** The value of the `cluster` label that scopes every query (a Prometheus shared by several clusters, e.g. managed Prometheus). */
  metricsCluster: optionalText,
  logAnalyticsWorkspace: optionalText,
  logAnalyticsEndpoint: z.url({ protocol: /^https$/, error: 'must be an https URL such as https://api.loganalytics.io/v1' }).optional(),
  azureToken: optionalText,
  azureTokenFile: optionalText,
  azureCaFile: optionalText,
  metricsTimeout: durationMs.optional(),
  simFaults: list(z.string().regex(/^[a-z0-9-]+$/, { error: 'must be fault names such as ingress-stuck-502' })).default([]),
  /** Local target: our embedded API server, or the upstream Kubernetes control plane (`npm run upstream:build`). */
  controlPlane: oneOf(['embedded', 'upstream'] as const).default('embedded'),
  simRequestLog: optionalText,
  /** Run inside a pod with its service account (harness/config/in-cluster.ts); detected when no kubeconfig is given. */
  inCluster: booleanish.optional(),
  /** Where to put a copy of the results for an engine (JUnit, ConformanceReport, summary, diagnostics; Sonobuoy's done file). */
  resultsDir: optionalText,
});

/** Configuration keys, as they appear in messages and in the config file. */
export type ConfigKey = keyof z.input<typeof configSchema>;
/** The configuration as its sources give it (what a run's config file holds). */
export type ConfigInput = z.input<typeof configSchema>;
