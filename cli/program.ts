import { Command, CommanderError, Option } from 'commander';
import type { ConfigKey } from '../harness/config/config-schema.ts';
import { clusterChangeNames } from '../harness/config/config-schema.ts';
import type { ConfigLayer } from '../harness/config/resolve-config.ts';
import { flavors, targets } from '../harness/config/targets.ts';
import { ingressProfileNames } from '../harness/ingress/index.ts';
import { meshNames, meshProfiles } from '../harness/mesh/index.ts';
import type { CheckInvocation } from './check-command.ts';
import type { CleanupInvocation } from './cleanup-command.ts';
import type { ConfigInvocation } from './config-command.ts';
import type { MigrateInvocation } from './migrate-command.ts';
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
  /** Fan-out over several clusters (several `--context`, `--contexts-file`, `--context-pattern`): cli/fleet-command.ts. */
  fleet?: FleetSelection | undefined;
  /** The arguments after `run`, as given (a fan-out passes the others on to each cluster's run). */
  argv?: string[] | undefined;
}

/** Which kubeconfig contexts a fan-out runs against, and how many at once. */
export interface FleetSelection {
  contexts: string[];
  contextsFile: string | undefined;
  contextPattern: string | undefined;
  concurrency: number;
}

/** Upper bound of `--fleet-concurrency`: each cluster's run is a CLI, a Playwright runner and a worker. */
export const maxFleetConcurrency = 32;
export const defaultFleetConcurrency = 4;

function fleetOf(opts: Record<string, unknown>, command: 'run' | 'config' | 'check'): FleetSelection | undefined {
  const contexts = (opts.context as string[] | undefined) ?? [];
  const contextsFile = opts.contextsFile as string | undefined;
  const contextPattern = opts.contextPattern as string | undefined;
  if (contexts.length <= 1 && contextsFile === undefined && contextPattern === undefined) {
    if (opts.fleetConcurrency !== undefined && command === 'run') throw new BadInputError('--fleet-concurrency applies to a fan-out: select several clusters with --context A --context B, --contexts-file or --context-pattern');
    return undefined;
  }
  if (command !== 'run') throw new BadInputError(`${command} looks at one cluster: pass one --context (several contexts, --contexts-file and --context-pattern are for run)`);
  const raw = opts.fleetConcurrency;
  const concurrency = raw === undefined ? defaultFleetConcurrency : Number(raw);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > maxFleetConcurrency) {
    throw new BadInputError(`invalid --fleet-concurrency "${String(raw)}": expected a whole number from 1 to ${maxFleetConcurrency}`);
  }
  return { contexts, contextsFile, contextPattern, concurrency };
}

/** `mesh-conformance sim …` as parsed. */
export interface SimInvocation {
  command: 'sim';
  flavor: 'kind' | 'aks';
  /** The simulated mesh (`--mesh`); undefined: the simulator's default, osm. */
  mesh?: 'osm' | 'istio' | undefined;
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
  /** `--request-log FILE`: mirror the API request log as JSONL (simulator/README.md). */
  requestLog?: string | undefined;
  /** A ready-made situation on top of the flavor (`--scenario`; the simulator lists them). */
  scenario?: string | undefined;
  /** `--control-plane`: embedded (default) or upstream. */
  controlPlane?: 'embedded' | 'upstream' | undefined;
}

/** A parsed command line, or a request that was fully handled by commander (help, version). */
export type Invocation = RunInvocation | SimInvocation | CleanupInvocation | ConfigInvocation | CheckInvocation | MigrateInvocation | { command: 'done' };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Upper bound of `run --namespaces`: each copy is a namespace and an httpbin on the cluster, checked as a concurrent flow. */
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
    .option('--context <name>', 'kubeconfig context to use (default: the current context); repeat it to check several clusters at once', collect, [])
    .option('--contexts-file <file>', 'check every context listed in this file (one a line, # comments), each cluster independently')
    .option('--context-pattern <glob>', 'check every kubeconfig context whose name matches (e.g. \'prod-*\'), each cluster independently')
    .option('--fleet-concurrency <n>', `clusters checked at once in a fan-out (1-${maxFleetConcurrency}, default ${defaultFleetConcurrency})`)
    .addOption(new Option('--flavor <flavor>', 'simulated cluster flavor for --target local; selects the profile').choices(flavors))
    .addOption(new Option('--mesh <mesh>', 'the mesh profile (default: osm on the local target)').choices(meshNames))
    .option('--mesh-namespace <ns>', 'where the mesh\'s control plane runs (default: the profile\'s, by flavor)')
    .option('--mesh-name <name>', 'the mesh\'s name, for meshes that have one (default: the profile\'s)')
    .option('--mesh-revision <rev>', 'the control plane\'s revision, for revisioned meshes (default: detected from the cluster)')
    .option('--istio-revision <rev>', 'the same as --mesh-revision (Istio: asm-1-30 on the AKS add-on)')
    .addOption(new Option('--ingress <profile>', 'the ingress profile (default: the one the guide pairs with the mesh and flavor)').choices(ingressProfileNames))
    .option('--ingress-source-cidr <cidr>', 'the address range of a gateway outside the cluster that the mesh must admit (default 10.0.0.0/8)')
    .option('--gateway-class <name>', 'the GatewayClass a Gateway API ingress writes (default: istio)')
    .option('--gateway-service <ns/name>', 'an existing gateway Service to route through (ingress istio-gateway; default: the AKS add-on\'s external gateway on aks)')
    .option('--application-load-balancer <ns/name>', 'the ApplicationLoadBalancer an Application Gateway for Containers Gateway binds to (ingress agc; default alb-test-infra/alb-test)')
    .option('--dns-server <ip[:port]>', 'ask this DNS server first for the ingress host name (an FQDN such as AGC\'s; the simulated aks cluster offers one)')
    .option('--allow-cluster-change <change>', `let the run make a cluster-wide change, restored afterwards (repeatable: ${clusterChangeNames.join(', ')})`, collect, [])
    .option('--sim-fault <name>', 'switch on a simulator fault (repeatable; see `mesh-conformance sim --list-faults`)', collect, [])
    .addOption(new Option('--control-plane <name>', 'for --target local: our embedded API server (default) or the real Kubernetes control plane (upstream; build it with `npm run upstream:build`)').choices(['embedded', 'upstream']))
    .option('--consecutive-successes <n>', 'HTTP responses required in a row (default 5)')
    .option('--keep-on-failure', 'keep the namespace of a failed run for inspection')
    .option('--report-dir <dir>', 'where reports go (default reports)')
    .option('--sweep-ttl <duration>', 'before the run, delete namespaces of dead runs older than this (default 1h; see `mesh-conformance cleanup`)')
    .option('--no-sweep', 'do not sweep dead runs\' leftovers before the run')
    .option('--prometheus-url <url>', 'read sidecar metrics from this Prometheus-compatible API (token: MESH_CONFORMANCE_PROMETHEUS_TOKEN)')
    .option('--prometheus-token-file <file>', 'a file holding the bearer token of --prometheus-url')
    .option('--prometheus-ca-file <file>', 'a CA (PEM) to trust for --prometheus-url')
    .addOption(new Option('--prometheus-auth <how>', 'how to authenticate to --prometheus-url: bearer (token or token file), azure (Entra ID, Azure Monitor managed Prometheus)').choices(['bearer', 'azure']))
    .option('--metrics-cluster <name>', 'scope every metrics query to cluster="<name>" (a Prometheus serving several clusters, e.g. managed Prometheus)')
    .option('--log-analytics-workspace <id>', 'read sidecar metrics from this Log Analytics workspace (aks; Azure Monitor Container insights)')
    .option('--metrics-timeout <duration>', 'how long the metrics check waits for the counters (default 10m on aks, 2m on kind, 90s on local)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[playwright-args...]', 'passed to `playwright test` (e.g. --grep @ingress; everything after --)')
    .option('--config <file>', 'config file (default: mesh-conformance.config.{ts,json,yaml} in the working directory)')
    .option('--ingress-address <address>', 'send ingress traffic here instead of the Ingress status address (host, host:port or URL)')
    .option('--namespaces <n>', `check N independent copies of the flow in parallel, one namespace and one httpbin each (1-${maxNamespaces}, default 1)`)
    .option('--list', 'print the checks with their tags and dependencies, without running them (filters such as --grep apply)')
    .option('--in-cluster', 'run inside a pod with its service account (detected in a pod when no kubeconfig or context is given and the target is kind or aks)')
    .option('--results-dir <dir>', 'also put junit.xml, the ConformanceReport, the summary and the diagnostics here; in Sonobuoy\'s results directory, also its archive and done file')
    .action((playwrightArgs: string[], opts: Record<string, unknown>) => {
      // commander keeps a `--` that follows an unknown option; Playwright would read what follows as file filters.
      onParsed({ command: 'run', flags: runFlags(opts), playwrightArgs: playwrightArgs.filter((a) => a !== '--'), configFile: opts.config as string | undefined, namespaces: namespacesOf(opts.namespaces), list: opts.list === true, fleet: fleetOf(opts, 'run') });
    });
  const runCommand = program.commands.find((c) => c.name() === 'run');

  const configCommand = program.command('config')
    .description('print the effective configuration (config file < MESH_CONFORMANCE_* < flags) with each value\'s source; secrets redacted')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  // The same flags as `run`, so `config` shows exactly what a run with them would use.
  for (const o of runCommand?.options ?? []) configCommand.addOption(o);
  configCommand.action((opts: Record<string, unknown>) => {
    fleetOf(opts, 'config');
    onParsed({ command: 'config', flags: runFlags(opts), configFile: opts.config as string | undefined, output: opts.output === 'json' ? 'json' : 'text' });
  });

  function runFlags(opts: Record<string, unknown>): Partial<Record<ConfigKey, unknown>> {
    const flags: Partial<Record<ConfigKey, unknown>> = {};
    const take = (key: ConfigKey, value: unknown): void => {
      if (value !== undefined) flags[key] = value;
    };
    take('target', opts.target);
    take('kubeconfig', opts.kubeconfig);
    const contexts = (opts.context as string[] | undefined) ?? [];
    if (contexts.length === 1) take('context', contexts[0]);
    take('flavor', opts.flavor);
    take('mesh', opts.mesh);
    take('meshNamespace', opts.meshNamespace);
    take('meshName', opts.meshName);
    take('meshRevision', opts.meshRevision ?? opts.istioRevision);
    take('ingress', opts.ingress);
    take('ingressSourceCidr', opts.ingressSourceCidr);
    take('gatewayClass', opts.gatewayClass);
    take('gatewayService', opts.gatewayService);
    take('applicationLoadBalancer', opts.applicationLoadBalancer);
    take('dnsServer', opts.dnsServer);
    take('prometheusTokenFile', opts.prometheusTokenFile);
    take('prometheusCaFile', opts.prometheusCaFile);
    take('prometheusAuth', opts.prometheusAuth);
    take('metricsCluster', opts.metricsCluster);
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
    take('inCluster', opts.inCluster);
    take('resultsDir', opts.resultsDir);
    take('controlPlane', opts.controlPlane);
    return flags;
  }

  program.command('sim')
    .description('start the simulated cluster in the foreground (Ctrl-C stops it)')
    .addOption(new Option('--mesh <mesh>', 'the simulated service mesh (default osm)').choices(['osm', 'istio']))
    .addOption(new Option('--flavor <flavor>', 'cluster flavor').choices(flavors).default('kind'))
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default <report-dir>/simulator/standalone/kubeconfig)')
    .option('--fault <name>', 'switch on a fault (repeatable)', collect, [])
    .option('--list-faults', 'print the fault catalogue and exit')
    .option('--report-dir <dir>', 'base directory for the default kubeconfig path (default reports)')
    .option('--port <n>', 'API server port (default: a free one)')
    .option('--token <token>', 'the bearer token the API server accepts (default: a random one)')
    .option('--timings <preset|json|file>', 'modelled delays: zero, quick (default), realistic, or a JSON object of overrides')
    .option('--request-log <file>', 'mirror the API request log to this JSONL file')
    .option('--scenario <name>', 'a ready-made situation on top of the flavor (docs/migration.md names the migration demo)')
    .addOption(new Option('--control-plane <name>', 'our embedded API server (default) or the real Kubernetes control plane (upstream; build it with `npm run upstream:build`, needs Go)').choices(['embedded', 'upstream']))
    .action((opts: { mesh?: 'osm' | 'istio'; flavor: 'kind' | 'aks'; kubeconfig?: string; fault: string[]; listFaults?: boolean; reportDir?: string; port?: string; token?: string; timings?: string; requestLog?: string; scenario?: string; controlPlane?: 'embedded' | 'upstream' }) => {
      onParsed({ command: 'sim', flavor: opts.flavor, kubeconfig: opts.kubeconfig, faults: opts.fault, listFaults: !!opts.listFaults, reportDir: opts.reportDir,
        ...(opts.mesh !== undefined ? { mesh: opts.mesh } : {}),
        ...(opts.controlPlane !== undefined ? { controlPlane: opts.controlPlane } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.token !== undefined ? { token: opts.token } : {}),
        ...(opts.timings !== undefined ? { timings: opts.timings } : {}), ...(opts.requestLog !== undefined ? { requestLog: opts.requestLog } : {}),
        ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}) });
    });
  const checkCommand = program.command('check')
    .description('read-only readiness report of the target cluster (API, the mesh\'s control plane, CRDs, webhooks and configuration, ingress, metrics, namespaces, sidecars, permissions); never writes. Default target: the kubeconfig\'s current context (aks when it is an AKS API server); --target local checks a simulated cluster');
  // The profile and target flags of `run`, so `check` judges the cluster exactly as a run with them would use it.
  const checkFlags = new Set(['--target', '--kubeconfig', '--context', '--flavor', '--mesh', '--mesh-namespace', '--mesh-name', '--mesh-revision', '--istio-revision',
    '--ingress', '--ingress-source-cidr', '--gateway-class', '--gateway-service', '--application-load-balancer', '--allow-cluster-change', '--sim-fault', '--prometheus-url', '--prometheus-token-file',
    '--prometheus-ca-file', '--prometheus-auth', '--metrics-cluster', '--log-analytics-workspace', '--config', '--control-plane']);
  for (const o of runCommand?.options ?? []) if (o.long && checkFlags.has(o.long)) checkCommand.addOption(o);
  checkCommand
    .addOption(new Option('-o, --output <format>', 'output format: a table, or one JSON document').choices(['table', 'json']).default('table'))
    .action((opts: Record<string, unknown>) => {
      fleetOf(opts, 'check');
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
  addMigrateCommand(program, onParsed);
  return program;
}

/** `migrate inventory|plan|baseline|verify|watch` (cli/migrate-command.ts, docs/migration.md). */
function addMigrateCommand(program: Command, onParsed: (inv: Invocation) => void): void {
  const migrate = program.command('migrate')
    .description('verify a migration from one mesh to another (default OSM to Istio): inventory, plan, baseline, verify (docs/migration.md)');
  const common = (c: Command): Command => c
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('--from <mesh>', `the source mesh (${meshNames.join(', ')})`, meshNames[0])
    .option('--to <mesh>', `the target mesh (${meshNames.join(', ')})`, meshNames[1] ?? meshNames[0])
    .option('--mesh-namespace <ns>', 'the source mesh\'s control-plane namespace (default: its AKS add-on\'s)')
    .option('--mesh-name <name>', 'the source mesh\'s name, for meshes that have one');
  type Opts = {
    kubeconfig?: string; context?: string; from: string; to: string; meshNamespace?: string; meshName?: string; output?: string; out?: string; inventory?: string; revision?: string;
    gatewayNamespace?: string; translationFault?: string; baseline?: string; rate?: string; duration?: string; maxRequests?: string; url?: string[]; host?: string; maxDowntime?: string;
  };
  const parsed = (action: MigrateInvocation['action'], o: Opts): MigrateInvocation => ({
    command: 'migrate', action, kubeconfig: o.kubeconfig, context: o.context, from: o.from, to: o.to, meshNamespace: o.meshNamespace, meshName: o.meshName,
    output: o.output === 'json' ? 'json' : 'table', out: o.out, inventory: o.inventory, revision: o.revision, gatewayNamespace: o.gatewayNamespace,
    translationFault: o.translationFault, baseline: o.baseline,
    rate: o.rate, duration: o.duration, maxRequests: o.maxRequests, urls: o.url, host: o.host, maxDowntime: o.maxDowntime,
  });
  const output = (): Option => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');
  common(migrate.command('inventory').description('read-only: list what the source mesh enforces (namespaces, access rules, splits, ingress admission, mesh-wide settings)'))
    .addOption(output())
    .action((o: Opts) => onParsed(parsed('inventory', o)));
  common(migrate.command('plan').description('write the target mesh\'s equivalent, one manifest file per namespace, plus PLAN.md (steps, what has no equivalent)'))
    .option('--out <dir>', 'the directory to write')
    .option('--inventory <file>', 'translate this inventory (`migrate inventory -o json`) instead of reading the cluster')
    .option('--revision <rev>', 'the target control plane\'s revision (asm-1-30 on the AKS add-on)')
    .option('--gateway-namespace <ns>', 'where the plan\'s ingress gateway goes (default: the target profile\'s)')
    .option('--translation-fault <name>', 'self-test hook: make the plan wrong on purpose (docs/migration.md lists the names)')
    .action((o: Opts) => onParsed(parsed('plan', o)));
  common(migrate.command('baseline').description('on the source mesh: probe who may reach whom (from short-lived probe pods) and which pods have a sidecar; write the matrix'))
    .option('--out <file>', 'the behaviour matrix to write (JSON)')
    .action((o: Opts) => onParsed(parsed('baseline', o)));
  common(migrate.command('verify').description('on the target mesh: replay the baseline and print a diff per namespace; exit 1 on any changed behaviour'))
    .option('--baseline <file>', 'the matrix `migrate baseline` wrote')
    .option('--out <file>', 'also write the replayed matrix (JSON)')
    .addOption(output())
    .action((o: Opts) => onParsed(parsed('verify', o)));
  common(migrate.command('watch').description('during the cutover: probe the baseline\'s paths continuously; print the windows of failed requests, answers without mTLS and pods without a sidecar'))
    .option('--baseline <file>', 'the matrix `migrate baseline` wrote (its probes are what the watch sends)')
    .option('--rate <n>', 'requests per second, over all paths (at most 50)', '5')
    .option('--duration <d>', 'stop after this long (e.g. 10m; at most 24h; Ctrl-C stops it sooner)', '10m')
    .option('--max-requests <n>', 'stop after this many requests')
    .option('--url <url>', 'also probe this URL through the ingress (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--host <host>', 'the Host header for --url (the ingress host)')
    .option('--max-downtime <d>', 'fail when a path that was allowed fails for longer than this at once (e.g. 30s)')
    .option('--out <file>', 'write the report (JSON)')
    .addOption(output())
    .action((o: Opts) => onParsed(parsed('watch', o)));
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
  if (parsed.command === 'run') parsed.argv = argv.slice(argv.indexOf('run') + 1);
  return parsed;
}
