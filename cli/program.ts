import { Command, CommanderError, Option } from 'commander';
import type { ConfigKey } from '../harness/config/config-schema.ts';
import type { ConfigLayer } from '../harness/config/resolve-config.ts';
import { flavors, targets } from '../harness/config/targets.ts';
import { ingressProfileNames } from '../harness/ingress/index.ts';
import { meshNames, meshProfiles } from '../harness/mesh/index.ts';
import type { CheckInvocation } from './check-command.ts';
import type { CleanupInvocation } from './cleanup-command.ts';
import type { ConfigInvocation } from './config-command.ts';
import { BadInputError } from './exit-codes.ts';

/** `mesh-conformance run …` as parsed: flag values (only those given) and what passes through to Playwright. */
export interface RunInvocation {
  command: 'run';
  flags: Partial<Record<ConfigKey, unknown>>;
  playwrightArgs: string[];
  /** `--config FILE`: the config file to read instead of looking for mesh-conformance.config.* in the working directory. */
  configFile?: string | undefined;
  /** `--namespaces N`: N independent copies of the flow, checked in parallel, each in a namespace of its own. */
  namespaces?: number | undefined;
  /** `--list`: print the checks (after --grep and other filters) without running them. */
  list?: boolean | undefined;
}

/** `mesh-conformance sim …` as parsed. */
export interface SimInvocation {
  command: 'sim';
  flavor: 'kind' | 'aks';
  kubeconfig: string | undefined;
  faults: string[];
  listFaults: boolean;
  reportDir: string | undefined;
  /** API server port (`--port`); undefined picks a free one. */
  port?: string | undefined;
  /** The bearer token the simulated API server accepts (`--token`); undefined makes a random one. */
  token?: string | undefined;
  /** Modelled delays (`--timings`): zero, quick, realistic, or a JSON object of overrides (inline or a file). */
  timings?: string | undefined;
}

/** A parsed command line, or a request that was fully handled by commander (help, version). */
export type Invocation = RunInvocation | SimInvocation | CleanupInvocation | ConfigInvocation | CheckInvocation | { command: 'done' };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Upper bound of `run --namespaces`: every copy is a Playwright worker process (about 100 MB each). */
export const maxNamespaces = 50;

function namespacesOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxNamespaces) throw new BadInputError(`invalid --namespaces "${typeof value === 'string' ? value : JSON.stringify(value)}": pass a whole number from 1 to ${maxNamespaces}`);
  return n;
}

/** Flags whose name is not the key's (a repeatable flag is singular). */
const flagAliases: Record<string, string> = { allowClusterChanges: '--allow-cluster-change', simFaults: '--sim-fault', parallelism: '--namespaces' };

/** Names CLI flags in configuration messages (`--consecutive-successes`), as the user typed them. */
export const flagName = (key: string): string => flagAliases[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^timeouts\./, 'timeout-')}`;

/** The flags of `run` as a configuration layer (highest precedence). */
export function flagLayer(flags: Partial<Record<ConfigKey, unknown>>): ConfigLayer {
  return { nameOf: flagName, values: flags };
}

function buildProgram(onParsed: (inv: Invocation) => void, out: { write: (s: string) => void }): Command {
  const program = new Command('mesh-conformance')
    .description(`End-to-end conformance checks of a Kubernetes cluster's service mesh (profiles: ${meshProfiles.map((m) => m.title).join(', ')})`)
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: () => undefined })
    .showHelpAfterError(false);

  program.command('run')
    .description('run the conformance checks against a target (default: a simulated cluster started for the run)')
    .addOption(new Option('--target <target>', 'where to run').choices(targets))
    .option('--kubeconfig <file>', 'kubeconfig of the target cluster (kind, aks; default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .addOption(new Option('--flavor <flavor>', 'simulated cluster flavor for --target local; selects the profile').choices(flavors))
    .addOption(new Option('--mesh <mesh>', 'the mesh profile (default: osm on the local target)').choices(meshNames))
    .option('--mesh-namespace <ns>', 'where the mesh\'s control plane runs (default: the profile\'s, by flavor)')
    .option('--mesh-name <name>', 'the mesh\'s name, for meshes that have one (default: the profile\'s)')
    .option('--mesh-revision <rev>', 'the control plane\'s revision, for revisioned meshes')
    .addOption(new Option('--ingress <profile>', 'the ingress profile (default: the one the guide pairs with the mesh and flavor)').choices(ingressProfileNames))
    .option('--ingress-source-cidr <cidr>', 'the address range of a gateway outside the cluster that the mesh must admit (default 10.0.0.0/8)')
    .option('--allow-cluster-change <change>', 'let the run make a cluster-wide change, restored afterwards (repeatable: metrics-collection)', collect, [])
    .option('--sim-fault <name>', 'switch on a simulator fault (repeatable; see `mesh-conformance sim --list-faults`)', collect, [])
    .option('--consecutive-successes <n>', 'HTTP responses required in a row (default 5)')
    .option('--keep-on-failure', 'keep the namespace of a failed run for inspection')
    .option('--report-dir <dir>', 'where reports go (default reports)')
    .option('--sweep-ttl <duration>', 'before the run, delete namespaces of dead runs older than this (default 1h; see `mesh-conformance cleanup`)')
    .option('--no-sweep', 'do not sweep dead runs\' leftovers before the run')
    .option('--prometheus-url <url>', 'read sidecar metrics from this Prometheus-compatible API (token: MESH_CONFORMANCE_PROMETHEUS_TOKEN)')
    .option('--log-analytics-workspace <id>', 'read sidecar metrics from this Log Analytics workspace (aks; Azure Monitor Container insights)')
    .option('--metrics-timeout <duration>', 'how long the metrics check waits for the counters (default 10m on aks, 2m on kind, 90s on local)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[playwright-args...]', 'passed to `playwright test` (e.g. --grep @ingress; everything after --)')
    .option('--config <file>', 'config file (default: mesh-conformance.config.{ts,json,yaml} in the working directory)')
    .option('--ingress-address <address>', 'send ingress traffic here instead of the Ingress status address (host, host:port or URL)')
    .option('--namespaces <n>', `check N independent copies of the flow in parallel, one namespace and one httpbin each (1-${maxNamespaces}, default 1)`)
    .option('--list', 'print the checks with their tags and dependencies, without running them (filters such as --grep apply)')
    .action((playwrightArgs: string[], opts: Record<string, unknown>) => {
      // commander keeps a `--` that follows an unknown option; Playwright would read what follows as file filters.
      onParsed({ command: 'run', flags: runFlags(opts), playwrightArgs: playwrightArgs.filter((a) => a !== '--'), configFile: opts.config as string | undefined, namespaces: namespacesOf(opts.namespaces), list: opts.list === true });
    });
  const runCommand = program.commands.find((c) => c.name() === 'run');

  const configCommand = program.command('config')
    .description('print the effective configuration (config file < MESH_CONFORMANCE_* < flags) with each value\'s source; secrets redacted')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  // The same flags as `run`, so `config` shows exactly what a run with them would use.
  for (const o of runCommand?.options ?? []) configCommand.addOption(o);
  configCommand.action((opts: Record<string, unknown>) => {
    onParsed({ command: 'config', flags: runFlags(opts), configFile: opts.config as string | undefined, output: opts.output === 'json' ? 'json' : 'text' });
  });

  function runFlags(opts: Record<string, unknown>): Partial<Record<ConfigKey, unknown>> {
    const flags: Partial<Record<ConfigKey, unknown>> = {};
    const take = (key: ConfigKey, value: unknown): void => {
      if (value !== undefined) flags[key] = value;
    };
    take('target', opts.target);
    take('kubeconfig', opts.kubeconfig);
    take('context', opts.context);
    take('flavor', opts.flavor);
    take('mesh', opts.mesh);
    take('meshNamespace', opts.meshNamespace);
    take('meshName', opts.meshName);
    take('meshRevision', opts.meshRevision);
    take('ingress', opts.ingress);
    take('ingressSourceCidr', opts.ingressSourceCidr);
    if (Array.isArray(opts.allowClusterChange) && opts.allowClusterChange.length) flags.allowClusterChanges = opts.allowClusterChange;
    take('consecutiveSuccesses', opts.consecutiveSuccesses);
    take('keepOnFailure', opts.keepOnFailure);
    take('reportDir', opts.reportDir);
    take('sweepTtl', opts.sweepTtl);
    if (opts.sweep === false) flags.sweep = false;
    take('prometheusUrl', opts.prometheusUrl);
    take('logAnalyticsWorkspace', opts.logAnalyticsWorkspace);
    take('metricsTimeout', opts.metricsTimeout);
    take('ingressAddress', opts.ingressAddress);
    if (Array.isArray(opts.simFault) && opts.simFault.length) flags.simFaults = opts.simFault;
    return flags;
  }

  program.command('sim')
    .description('start the simulated cluster in the foreground (Ctrl-C stops it)')
    .addOption(new Option('--flavor <flavor>', 'cluster flavor').choices(flavors).default('kind'))
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default <report-dir>/simulator/standalone/kubeconfig)')
    .option('--fault <name>', 'switch on a fault (repeatable)', collect, [])
    .option('--list-faults', 'print the fault catalogue and exit')
    .option('--report-dir <dir>', 'base directory for the default kubeconfig path (default reports)')
    .option('--port <n>', 'API server port (default: a free one)')
    .option('--token <token>', 'the bearer token the API server accepts (default: a random one)')
    .option('--timings <preset|json|file>', 'modelled delays: zero, quick (default), realistic, or a JSON object of overrides')
    .action((opts: { flavor: 'kind' | 'aks'; kubeconfig?: string; fault: string[]; listFaults?: boolean; reportDir?: string; port?: string; token?: string; timings?: string }) => {
      onParsed({ command: 'sim', flavor: opts.flavor, kubeconfig: opts.kubeconfig, faults: opts.fault, listFaults: !!opts.listFaults, reportDir: opts.reportDir,
        ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.token !== undefined ? { token: opts.token } : {}),
        ...(opts.timings !== undefined ? { timings: opts.timings } : {}) });
    });
  program.command('check')
    .description('read-only readiness report of the target cluster (API, the mesh\'s control plane, CRDs, webhooks and configuration, ingress, metrics, namespaces, sidecars, permissions); never writes')
    .addOption(new Option('--target <target>', 'what to check (local: a simulated cluster started for the check)').choices(targets))
    .option('--kubeconfig <file>', 'kubeconfig of the target cluster (kind, aks; default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .addOption(new Option('--flavor <flavor>', 'simulated cluster flavor for --target local; selects the profile').choices(flavors))
    .option('--sim-fault <name>', 'switch on a simulator fault for --target local (repeatable)', collect, [])
    .option('--prometheus-url <url>', 'the Prometheus-compatible API the metrics check would read (token: MESH_CONFORMANCE_PROMETHEUS_TOKEN)')
    .option('--log-analytics-workspace <id>', 'the Log Analytics workspace the metrics check would read (aks)')
    .option('--config <file>', 'config file (default: mesh-conformance.config.{ts,json,yaml} in the working directory)')
    .addOption(new Option('-o, --output <format>', 'output format: a table, or one JSON document').choices(['table', 'json']).default('table'))
    .action((opts: Record<string, unknown>) => {
      onParsed({ command: 'check', flags: runFlags(opts), configFile: opts.config as string | undefined, output: opts.output === 'json' ? 'json' : 'table' });
    });
  program.command('cleanup')
    .description('delete what dead runs left behind: namespaces labelled by mesh-conformance whose run is gone (no heartbeat) and older than the TTL')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('--ttl <duration>', 'only runs created longer ago than this (default 1h; 0 = every dead run)')
    .option('--dry-run', 'list what would be deleted, and what is kept and why, without deleting')
    .action((opts: { kubeconfig?: string; context?: string; ttl?: string; dryRun?: boolean }) => {
      onParsed({ command: 'cleanup', kubeconfig: opts.kubeconfig, context: opts.context, ttl: opts.ttl, dryRun: !!opts.dryRun });
    });
  return program;
}

/**
 * Parses the arguments after `mesh-conformance`. Help and version print to `out` and return `done`;
 * any usage error becomes a `BadInputError` with commander's one-line message.
 */
export function parseArgs(argv: string[], out: { write: (s: string) => void } = process.stdout): Invocation {
  let parsed: Invocation | undefined;
  const program = buildProgram((inv) => { parsed = inv; }, out);
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return { command: 'done' };
      throw new BadInputError(`${err.message.replace(/^error: /, '')} (see mesh-conformance --help)`);
    }
    throw err;
  }
  if (!parsed) {
    // No subcommand: show help rather than guess.
    out.write(program.helpInformation());
    return { command: 'done' };
  }
  return parsed;
}
