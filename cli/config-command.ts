import { stringify } from 'yaml';
import { redacted, redactUrl } from '../harness/report/redact.ts';
import { fileKeys, secretKeys } from '../harness/config/config-file.ts';
import type { ConfigKey } from '../harness/config/config-schema.ts';
import type { ConfigLayer, ConformanceConfig } from '../harness/config/resolve-config.ts';
import { envLayer } from '../harness/config/resolve-config.ts';
import { ingressFactory } from '../harness/ingress/index.ts';
import { formatDuration, timeoutClasses } from '../harness/timeouts.ts';
import { exitCodes } from './exit-codes.ts';
import type { RunInvocation } from './program.ts';
import { flagLayer } from './program.ts';
import { loadRunConfigFile, resolveRunConfig } from './run-command.ts';

/** `mesh-conformance config …` as parsed: the same flags as `run`, and the output format. */
export interface ConfigInvocation {
  command: 'config';
  flags: RunInvocation['flags'];
  configFile: string | undefined;
  output: 'text' | 'json';
}

/** One line of the effective configuration: the key as a config file spells it, the value, where it came from. */
export interface EffectiveEntry {
  key: string;
  value: string | number | boolean | string[] | null;
  source: string;
}

/**
 * The effective configuration, key by key in the config file's spelling, with secrets redacted and the source of
 * each value: the last layer that set it, else the default (and what the default depends on).
 */
export function effectiveConfig(config: ConformanceConfig, layers: ConfigLayer[], env: NodeJS.ProcessEnv): EffectiveEntry[] {
  const sourceOf = (key: ConfigKey, fallback: string, timeoutClass?: string): string => {
    for (const layer of [...layers].reverse()) {
      const v = layer.values[key];
      if (v === undefined) continue;
      if (timeoutClass) {
        if (typeof v === 'object' && v !== null && timeoutClass in v) return layer.nameOf(`timeouts.${timeoutClass}`);
        continue;
      }
      return layer.nameOf(key);
    }
    return fallback;
  };
  const profile = `default of the ${config.flavor} profile`;
  const ingressBudgets = ingressFactory(config.ingress)?.budgets[config.target] ?? {};
  const m = config.metrics;
  const la = m.logAnalytics;
  const entries: EffectiveEntry[] = [
    { key: 'target', value: config.target, source: sourceOf('target', 'default') },
    { key: 'flavor', value: config.flavor, source: config.target === 'local' ? sourceOf('flavor', 'default') : `target ${config.target}` },
    {
      key: 'kubeconfig', value: config.kubeconfig ?? null,
      source: config.target === 'local' ? 'written by the simulated cluster the run starts' : sourceOf('kubeconfig', env.KUBECONFIG ? '$KUBECONFIG' : 'default ~/.kube/config'),
    },
    { key: 'context', value: config.context ?? null, source: config.target === 'local' ? 'the simulated cluster\'s' : sourceOf('context', 'not set: the kubeconfig\'s current context') },
    { key: 'mesh', value: config.mesh, source: sourceOf('mesh', profile) },
    { key: 'meshName', value: config.meshName, source: sourceOf('meshName', profile) },
    { key: 'meshNamespace', value: config.meshNamespace, source: sourceOf('meshNamespace', profile) },
    { key: 'ingress', value: config.ingress, source: sourceOf('ingress', profile) },
    { key: 'ingressAddress', value: config.ingressAddress ?? null, source: sourceOf('ingressAddress', 'not set: the address the Ingress publishes') },
    { key: 'consecutiveSuccesses', value: config.consecutiveSuccesses, source: sourceOf('consecutiveSuccesses', 'default') },
    ...timeoutClasses.map((cls) => ({
      key: `timeouts.${cls}`, value: formatDuration(config.timeouts[cls]),
      source: sourceOf('timeouts', ingressBudgets[cls] !== undefined ? `default of the ${config.ingress} ingress on target ${config.target}` : 'default', cls),
    })),
    { key: 'timeouts.metrics', value: formatDuration(m.timeoutMs), source: sourceOf('metricsTimeout', `default for target ${config.target}`) },
    { key: 'keepOnFailure', value: config.keepOnFailure, source: sourceOf('keepOnFailure', env.KEEP_ON_FAILURE ? 'KEEP_ON_FAILURE' : 'default') },
    { key: 'parallelism', value: config.parallelism, source: sourceOf('parallelism', 'default') },
    { key: 'reportDir', value: config.reportDir, source: sourceOf('reportDir', 'default') },
    { key: 'prometheusUrl', value: m.prometheusUrl ? redactUrl(m.prometheusUrl) : null, source: sourceOf('prometheusUrl', 'not set: the mesh\'s in-cluster Prometheus through the API server') },
    { key: 'prometheusToken', value: m.prometheusToken ? redacted : null, source: sourceOf('prometheusToken', 'not set') },
    { key: 'logAnalyticsWorkspace', value: la?.workspaceId ?? null, source: sourceOf('logAnalyticsWorkspace', config.target === 'local' && config.flavor === 'aks' ? 'the simulated cluster\'s workspace' : 'not set') },
    { key: 'logAnalyticsEndpoint', value: la?.endpoint ? redactUrl(la.endpoint) : null, source: sourceOf('logAnalyticsEndpoint', 'default https://api.loganalytics.io/v1') },
    { key: 'azureToken', value: la?.token ? redacted : null, source: sourceOf('azureToken', 'not set: DefaultAzureCredential (environment, workload identity, Azure CLI)') },
    { key: 'azureTokenFile', value: la?.tokenFile ?? null, source: sourceOf('azureTokenFile', 'not set') },
    { key: 'azureCaFile', value: la?.caFile ?? null, source: sourceOf('azureCaFile', 'not set') },
  ];
  if (config.target === 'local') entries.push({ key: 'simFaults', value: config.simFaults, source: sourceOf('simFaults', 'default') });
  // Keys added to the schema later show up too, with their resolved value when the configuration carries one.
  const shown = new Set([...entries.map((e) => e.key.split('.')[0]), 'timeouts', 'metricsTimeout', 'runId', 'simRequestLog', 'simFaults']);
  for (const key of fileKeys()) {
    if (shown.has(key)) continue;
    const v = (config as unknown as Record<string, unknown>)[key];
    const value = v === undefined ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    entries.push({ key, value, source: sourceOf(key, v === undefined ? 'not set' : 'default') });
  }
  // Whatever the layers say, a secret key never shows its value.
  for (const e of entries) if (secretKeys.includes(e.key as ConfigKey) && e.value !== null) e.value = redacted;
  return entries;
}

/** Text form: `key: value  # source`, one line per key, readable as YAML (and pasteable into a config file). */
export function formatEffectiveConfig(entries: EffectiveEntry[], layers: ConfigLayer[]): string {
  const file = layers.find((l) => l.nameOf('target').includes(' in '))?.nameOf('target').replace(/^key target in /, '');
  const header = `# effective configuration; sources, later wins: defaults < ${file ?? 'config file (none found)'} < MESH_CONFORMANCE_* < flags\n`;
  const rendered = entries.map((e) => ({ left: `${e.key}: ${stringify(e.value, { collectionStyle: 'flow' }).trimEnd()}`, source: e.source }));
  const width = Math.min(60, Math.max(...rendered.map((r) => r.left.length)));
  return header + rendered.map((r) => `${r.left.padEnd(width)}  # ${r.source}`).join('\n') + '\n';
}

/** `mesh-conformance config`: resolves exactly as `run` would (without starting or touching anything) and prints it. */
export async function runConfigCommand(inv: ConfigInvocation, out: { write: (s: string) => void } = process.stdout): Promise<number> {
  const fileLayer = await loadRunConfigFile(inv.configFile, process.env, process.cwd());
  const runInv: RunInvocation = { command: 'run', flags: inv.flags, playwrightArgs: [], configFile: inv.configFile };
  const config = resolveRunConfig(runInv, process.env, process.cwd(), fileLayer);
  if (!process.env.MESH_CONFORMANCE_RUN_ID) config.runId = undefined;
  const layers = [...(fileLayer ? [fileLayer] : []), envLayer(process.env), flagLayer(inv.flags)];
  const entries = effectiveConfig(config, layers, process.env);
  if (inv.output === 'json') {
    out.write(`${JSON.stringify({
      config: Object.fromEntries(entries.map((e) => [e.key, e.value])),
      sources: Object.fromEntries(entries.map((e) => [e.key, e.source])),
    }, null, 2)}\n`);
  } else {
    out.write(formatEffectiveConfig(entries, layers));
  }
  return exitCodes.passed;
}
