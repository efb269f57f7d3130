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
  consecutiveSuccesses: number;
  timeouts: Timeouts;
  keepOnFailure: boolean;
  reportDir: string;
  runId: string | undefined;
  simFaults: string[];
}

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
  consecutiveSuccesses: 'MESH_CONFORMANCE_CONSECUTIVE_SUCCESSES',
  timeouts: 'MESH_CONFORMANCE_TIMEOUT_',
  keepOnFailure: 'MESH_CONFORMANCE_KEEP_ON_FAILURE',
  reportDir: 'MESH_CONFORMANCE_REPORT_DIR',
  runId: 'MESH_CONFORMANCE_RUN_ID',
  simFaults: 'MESH_CONFORMANCE_SIM_FAULTS',
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
    [envNames.keepOnFailure]: config.keepOnFailure ? '1' : '0',
    [envNames.reportDir]: config.reportDir,
  };
  if (config.kubeconfig) env[envNames.kubeconfig] = config.kubeconfig;
  if (config.context) env[envNames.context] = config.context;
  if (config.runId) env[envNames.runId] = config.runId;
  if (config.simFaults.length) env[envNames.simFaults] = config.simFaults.join(',');
  for (const cls of timeoutClasses) env[timeoutEnv(cls)] = String(config.timeouts[cls]);
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
    consecutiveSuccesses: c.consecutiveSuccesses,
    timeouts: c.timeouts,
    keepOnFailure: c.keepOnFailure,
    reportDir: c.reportDir,
    runId: c.runId,
    simFaults: c.simFaults,
  };
}
