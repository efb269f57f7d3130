import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { timeoutClasses } from '../timeouts.ts';
import type { ConfigKey } from './config-schema.ts';
import { configSchema } from './config-schema.ts';
import type { ConfigLayer } from './resolve-config.ts';
import { ConfigError, envNames } from './resolve-config.ts';
import { errorText } from '../text.ts';

/** File names looked for in the working directory, in this order (at most one may exist). */
export const configFileNames = ['mesh-conformance.config.ts', 'mesh-conformance.config.json', 'mesh-conformance.config.yaml', 'mesh-conformance.config.yml'] as const;

/** Names the config file explicitly (as `--config FILE` does). */
export const configFileEnv = 'MESH_CONFORMANCE_CONFIG';

/** Keys that only the harness sets; a config file must not. */
const internalKeys: readonly ConfigKey[] = ['runId', 'simRequestLog'];
/** Credentials: never in a file that ends up in git; only in the environment. */
export const secretKeys: readonly ConfigKey[] = ['prometheusToken', 'azureToken'];
/** Keys holding file paths: relative ones are taken from the config file's directory, `~/` from the home directory. */
const pathKeys: readonly ConfigKey[] = ['kubeconfig', 'reportDir', 'azureTokenFile', 'azureCaFile', 'prometheusTokenFile', 'prometheusCaFile'];
/** `timeouts.metrics` in a file is the `metricsTimeout` key, so every class sits under `timeouts`. */
const metricsTimeoutAlias = 'metrics';

/** The keys a config file may hold, in schema order. */
export function fileKeys(): ConfigKey[] {
  return (Object.keys(configSchema.shape) as ConfigKey[]).filter((k) => !internalKeys.includes(k) && !secretKeys.includes(k));
}

/** The operation classes accepted under `timeouts` in a file. */
export function fileTimeoutClasses(): string[] {
  return [...timeoutClasses, metricsTimeoutAlias];
}

/**
 * Finds the config file: `explicit` (from `--config`) or `$MESH_CONFORMANCE_CONFIG` if given (it must exist),
 * else the one `mesh-conformance.config.{ts,json,yaml,yml}` in `cwd`; two of them at once is an error.
 */
export function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = explicit ?? (env[configFileEnv] || undefined);
  if (named) {
    const path = resolve(cwd, expandHome(named));
    if (!existsSync(path)) {
      throw new ConfigError(`config file ${path} does not exist (from ${explicit ? '--config' : configFileEnv}); pass an existing mesh-conformance.config.{ts,json,yaml} or drop the option`);
    }
    return path;
  }
  const found = configFileNames.map((n) => join(cwd, n)).filter((p) => existsSync(p));
  if (found.length > 1) {
    throw new ConfigError(`found ${found.map((p) => basename(p)).join(' and ')} in ${cwd}: keep one, or choose one with --config FILE`);
  }
  return found[0];
}

/** How long a TypeScript config file may take to load (a top-level await that never settles must not hang the CLI). */
export const configLoadLimitMs = 10_000;

let esmHookRegistered = false;
let tsxRegistered = false;

/**
 * Imports a TypeScript (or JavaScript) config file as an ES module, whatever the package around it says, within
 * `configLoadLimitMs`. (`.cts`/`.cjs` files are CommonJS by name and loaded as such.)
 */
async function importConfigModule(path: string, limitMs: number): Promise<{ default?: unknown }> {
  const esm = !/\.c[jt]s$/.test(path);
  // Run from the bundle (plain JavaScript, dist/), no TypeScript loader is in memory: tsx is registered for this
  // import. Run from the sources, the loader that compiles this very file (tsx, Playwright's) compiles the config too.
  if (/\.[cm]?ts$/.test(path) && !import.meta.url.endsWith('.ts') && !tsxRegistered) {
    tsxRegistered = true;
    try {
      const tsx = await import('tsx/esm/api');
      tsx.register();
    } catch {
      // No tsx (the container image drops it): Node's own type stripping loads the file where Node has it (22.18+).
    }
  }
  if (esm && !esmHookRegistered) {
    esmHookRegistered = true;
    register(new URL('./esm-config-hooks.mjs', import.meta.url).href);
  }
  const url = `${pathToFileURL(path).href}${esm ? '?mesh-conformance-config=esm' : ''}`;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(`config file ${path} did not finish loading within ${limitMs / 1000}s (a top-level await that never settles?): make its default export plain data, or use mesh-conformance.config.yaml`)), limitMs);
  });
  const loading = import(url) as Promise<{ default?: unknown }>;
  loading.catch(() => undefined);
  try {
    return await Promise.race([loading, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a config file into a plain object: JSON, YAML, or the default export of a TypeScript module. */
export async function readConfigFile(path: string, opts: { limitMs?: number } = {}): Promise<unknown> {
  if (/\.[cm]?[jt]s$/.test(path)) {
    let mod: { default?: unknown };
    try {
      mod = await importConfigModule(path, opts.limitMs ?? configLoadLimitMs);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`cannot load config file ${path}: ${errorText(err)}; fix it, or use mesh-conformance.config.yaml`);
    }
    if (mod.default === undefined) throw new ConfigError(`config file ${path} has no default export: write \`export default { target: 'kind', ... }\``);
    return mod.default;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${errorText(err)}`);
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) as unknown : parseYaml(text, { prettyErrors: true }) as unknown;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorText(err)}`);
  }
}

/**
 * Turns the content of a config file into the lowest-precedence configuration layer. Unknown keys, credentials
 * and a non-object document are one-line `ConfigError`s naming the key and what is allowed; values are
 * validated later with every other source, and messages name the file and the key.
 */
export function configFileLayer(path: string, data: unknown): ConfigLayer {
  const file = basename(path);
  if (data === null || data === undefined) return { nameOf: (key) => `key ${key} in ${path}`, values: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`config file ${path} must hold a mapping of keys (${fileKeys().join(', ')}), got ${Array.isArray(data) ? 'a list' : typeof data}`);
  }
  const allowed = fileKeys();
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (secretKeys.includes(key as ConfigKey)) {
      throw new ConfigError(`Invalid configuration: ${key} must not be written in ${file} (credentials do not belong in files that get committed); set ${envNames[key as ConfigKey]} instead`);
    }
    if (!allowed.includes(key as ConfigKey)) {
      throw new ConfigError(`Invalid configuration: unknown key "${key}" in ${path}; allowed keys: ${allowed.join(', ')}`);
    }
    if (value === null || value === undefined) continue;
    if (key === 'timeouts') {
      Object.assign(values, timeoutValues(value, path));
      continue;
    }
    values[key as ConfigKey] = pathKeys.includes(key as ConfigKey) && typeof value === 'string' ? resolve(dirname(path), expandHome(value)) : value;
  }
  return {
    nameOf: (key) => key === 'metricsTimeout' && values.metricsTimeout !== undefined && !('metricsTimeout' in (data))
      ? `key timeouts.${metricsTimeoutAlias} in ${path}`
      : `key ${key} in ${path}`,
    values,
  };
}

function timeoutValues(value: unknown, path: string): Partial<Record<ConfigKey, unknown>> {
  const classes = fileTimeoutClasses();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`Invalid configuration: timeouts in ${path} must be a mapping of ${classes.join(', ')} to durations such as 90s or 2m`);
  }
  const out: Partial<Record<ConfigKey, unknown>> = {};
  const t: Record<string, unknown> = {};
  for (const [cls, v] of Object.entries(value as Record<string, unknown>)) {
    if (!classes.includes(cls)) throw new ConfigError(`Invalid configuration: unknown key "timeouts.${cls}" in ${path}; allowed: ${classes.map((c) => `timeouts.${c}`).join(', ')}`);
    if (v === null || v === undefined) continue;
    if (cls === metricsTimeoutAlias) out.metricsTimeout = v;
    else t[cls] = v;
  }
  if (Object.keys(t).length) out.timeouts = t;
  return out;
}

/**
 * Finds and reads the config file (see `findConfigFile`) into a layer; `undefined` when there is none.
 * Every problem is a one-line `ConfigError`.
 */
export async function loadConfigFileLayer(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<ConfigLayer | undefined> {
  const path = findConfigFile(explicit, env, cwd);
  if (!path) return undefined;
  return configFileLayer(path, await readConfigFile(path));
}

/** Identity helper for `mesh-conformance.config.ts`: `export default defineConfig({ target: 'kind' })` gets key checking from TypeScript. */
export function defineConfig(config: ConfigFile): ConfigFile {
  return config;
}

/** The shape of a config file, for `defineConfig`. */
export type ConfigFile = Omit<z.input<typeof configSchema>, 'timeouts' | 'runId' | 'simRequestLog' | 'prometheusToken' | 'azureToken'> & {
  timeouts?: Partial<Record<(typeof timeoutClasses)[number] | typeof metricsTimeoutAlias, string | number>>;
};

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}
