/**
 * The simulated cluster as a process (simulator/README.md, "Start it"):
 *   node --import tsx simulator/src/main.ts [--mesh osm|istio] --flavor kind|aks [--control-plane embedded|upstream]
 *     [--istiod emulated|upstream] --kubeconfig FILE [--fault NAME]... [--list-faults]
 * Prints exactly one `simulator ready <JSON>` line on stdout when it serves (ready-message.ts), keeps serving until
 * SIGINT or SIGTERM, then stops everything within 5 s and exits 0. Bad arguments, or `--control-plane upstream`
 * (or `--istiod upstream`, default from MESH_SIM_ISTIOD) without the built binaries (`npm run upstream:build`): one
 * line on stderr, exit 2.
 */
import { Command, CommanderError, Option } from 'commander';
import { describeFault, faultAppliesTo, faultNamed, faults, isFaultName } from './faults/index.ts';
import type { FaultName } from './faults/index.ts';
import { clusterShapes, flavorFlags, flavorNameFor, flavorNames, isClusterShape, isMeshName, meshAndShapeOf, meshNames } from './flavors/names.ts';
import type { ClusterShape, FlavorName, MeshName } from './flavors/names.ts';
import { startSimulator } from './simulator.ts';
import { controlPlanes, isControlPlaneName } from './cluster-core.ts';
import type { ControlPlaneName } from './cluster-core.ts';
import { UpstreamBinariesMissingError } from './upstream/upstream-core.ts';
import { UpstreamIstiodMissingError } from './upstream/istiod-install.ts';
import { upstreamIstioBinDir, upstreamIstiodPresent } from './upstream/istiod.ts';
import { isMeshControlPlaneName, meshControlPlanes } from './component.ts';
import type { MeshControlPlaneName } from './component.ts';
import { flavorFor } from './flavors/index.ts';
import type { NodeTimings } from './node/timings.ts';
import { parseTimingsOption } from './timings-option.ts';
import { isScenarioName, scenarioNamed, scenarioNames } from './scenarios/index.ts';
import type { ScenarioName } from './scenarios/index.ts';

const exitCodes = { ok: 0, startFailed: 1, usage: 2 } as const;
const shutdownBudgetMs = 5_000;

class UsageError extends Error {}

interface ParsedArgs {
  mesh: MeshName;
  flavor: ClusterShape;
  controlPlane: ControlPlaneName;
  meshControlPlane: MeshControlPlaneName;
  /** The registered flavor the two select (flavors/names.ts). */
  registered: FlavorName;
  kubeconfig: string;
  faults: FaultName[];
  listFaults: boolean;
  port: number | undefined;
  requestLog: string | undefined;
  conditionLog: string | undefined;
  timings: NodeTimings | undefined;
  readyTimeoutMs: number;
  token: string | undefined;
  exitWithParent: boolean;
  scenario: ScenarioName | undefined;
}

function parseArgs(argv: string[]): ParsedArgs {
  const program = new Command('simulator')
    .description('Simulated Kubernetes cluster with a service mesh (OSM 1.2 or Istio 1.30)')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .addOption(new Option('--mesh <mesh>', 'the service mesh').choices([...meshNames]).default('osm'))
    .addOption(new Option('--flavor <flavor>', 'cluster flavor').choices([...clusterShapes]).default('kind'))
    .addOption(new Option('--control-plane <name>', 'our API server (embedded) or the real Kubernetes control plane built by `npm run upstream:build` (upstream)').choices([...controlPlanes]).default('embedded'))
    .option('--istiod <name>', `Istio flavors on --control-plane upstream: our istiod emulation (emulated) or the real istiod built by \`npm run upstream:build\` (upstream); default $MESH_SIM_ISTIOD or emulated`)
    .option('--kubeconfig <file>', 'where to write the kubeconfig', 'reports/simulator/kubeconfig')
    .option('--fault <name>', 'switch on a named fault (repeatable; --list-faults shows them)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--list-faults', 'print NAME<TAB>fail|pass<TAB>description for every fault and exit')
    .option('--port <n>', 'API server port (default: any free port)')
    .option('--request-log <file>', 'write the API request log to this JSONL file')
    .option('--condition-log <file>', 'timestamp awaited conditions and modelled delays to this JSONL file')
    .option('--timings <preset|json|file>', 'modelled delays: zero, quick (default), realistic, or a JSON object of overrides (inline or a file)')
    .option('--ready-timeout <seconds>', 'how long to wait for the control-plane pods', '60')
    .option('--token <token>', 'the bearer token the API server accepts (default: a random one)')
    .option('--exit-with-parent', 'stop when standard input closes (the parent died): the CLI starts it so, so it never outlives a killed CLI')
    .option('--scenario <name>', `a ready-made situation on top of the flavor (${scenarioNames.join(', ')})`);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) process.exit(exitCodes.ok);
    throw new UsageError(error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error));
  }
  const o = program.opts<{ mesh: string; flavor: string; controlPlane: string; istiod?: string; kubeconfig: string; fault: string[]; listFaults?: boolean; port?: string; requestLog?: string; conditionLog?: string; timings?: string; readyTimeout: string; token?: string; exitWithParent?: boolean; scenario?: string }>();
  if (!isMeshName(o.mesh)) throw new UsageError(`unknown mesh "${o.mesh}"; valid meshes: ${meshNames.join(', ')}`);
  if (!isClusterShape(o.flavor)) throw new UsageError(`unknown flavor "${o.flavor}"; valid flavors: ${clusterShapes.join(', ')}`);
  if (!isControlPlaneName(o.controlPlane)) throw new UsageError(`unknown control plane "${o.controlPlane}"; valid: ${controlPlanes.join(', ')}`);
  const registered = flavorNameFor(o.mesh, o.flavor);
  // MESH_SIM_ISTIOD applies where it can (an Istio flavor on the upstream control plane) and is ignored elsewhere, so
  // one environment can run every flavor; --istiod says exactly what to run, and refuses where it cannot.
  const fromEnv = flavorFor(o.mesh, o.flavor).realMeshControlPlane === true && o.controlPlane === 'upstream' ? process.env.MESH_SIM_ISTIOD : undefined;
  const istiod = o.istiod ?? (fromEnv || 'emulated');
  const said = (value: string): string => (o.istiod !== undefined ? `--istiod ${value}` : `MESH_SIM_ISTIOD=${value}`);
  if (!isMeshControlPlaneName(istiod)) throw new UsageError(`invalid ${said(`"${istiod}"`)}; valid: ${meshControlPlanes.join(', ')}`);
  if (istiod === 'upstream') {
    if (!flavorFor(o.mesh, o.flavor).realMeshControlPlane) throw new UsageError(`${said('upstream')} runs the real istiod, which flavor ${registered} does not have: choose --mesh istio, or drop ${said('upstream')}`);
    if (o.controlPlane !== 'upstream') throw new UsageError(`${said('upstream')} runs the real istiod against kube-apiserver: add --control-plane upstream, or drop ${said('upstream')}`);
    const refused = o.fault.filter(isFaultName).map(faultNamed).find((f) => f.emulatedMeshControlPlaneOnly);
    if (refused) throw new UsageError(`fault "${refused.name}" acts on our istiod emulation and cannot apply with the real istiod (${said('upstream')}): drop the fault, or ${o.istiod !== undefined ? 'use --istiod emulated' : 'unset MESH_SIM_ISTIOD'}`);
    // Said before the control plane starts, not after.
    if (!upstreamIstiodPresent()) throw new UsageError(new UpstreamIstiodMissingError(upstreamIstioBinDir()).message);
  }
  const unknown = o.fault.filter((f) => !isFaultName(f));
  if (unknown.length > 0) throw new UsageError(`unknown fault "${unknown[0]}"; valid faults: ${faults.map((f) => f.name).join(', ')}`);
  const elsewhere = o.fault.filter(isFaultName).map(faultNamed).find((f) => !faultAppliesTo(f, registered));
  if (elsewhere) {
    const only = elsewhere.flavors ?? flavorNames;
    // Suggest a flavor of the same mesh when there is one.
    const suggested = only.find((f) => meshAndShapeOf(f).mesh === o.mesh) ?? only[0] ?? 'kind';
    throw new UsageError(`fault "${elsewhere.name}" has no effect on flavor ${registered} (it applies to ${only.join(', ')}); choose ${flavorFlags(suggested)} or another fault (--list-faults ${flavorFlags(registered)})`);
  }
  if (o.scenario !== undefined && !isScenarioName(o.scenario)) throw new UsageError(`unknown scenario "${String(o.scenario)}"; valid scenarios: ${scenarioNames.join(', ')}`);
  const scenario = o.scenario !== undefined && isScenarioName(o.scenario) ? o.scenario : undefined;
  if (scenario && !scenarioNamed(scenario).flavors.includes(registered)) {
    const wanted = scenarioNamed(scenario).flavors[0] ?? 'aks';
    throw new UsageError(`scenario "${scenario}" runs on flavor ${scenarioNamed(scenario).flavors.join(', ')}, not ${registered}; choose ${flavorFlags(wanted)}`);
  }
  let port: number | undefined;
  if (o.port !== undefined) {
    port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port "${o.port}": expected an integer from 0 to 65535`);
  }
  let timings: NodeTimings | undefined;
  try {
    timings = o.timings === undefined ? undefined : parseTimingsOption(o.timings);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (o.token !== undefined && o.token.trim() === '') throw new UsageError('--token must not be empty: pass the bearer token the API server should accept, or omit --token for a random one');
  const readySeconds = Number(o.readyTimeout);
  if (!Number.isFinite(readySeconds) || readySeconds <= 0) throw new UsageError(`invalid --ready-timeout "${o.readyTimeout}": expected a positive number of seconds`);
  return {
    mesh: o.mesh,
    flavor: o.flavor,
    controlPlane: o.controlPlane,
    meshControlPlane: istiod,
    registered,
    kubeconfig: o.kubeconfig,
    faults: o.fault.filter(isFaultName),
    listFaults: o.listFaults === true,
    port,
    requestLog: o.requestLog,
    conditionLog: o.conditionLog,
    timings,
    readyTimeoutMs: readySeconds * 1000,
    token: o.token,
    exitWithParent: o.exitWithParent === true,
    scenario,
  };
}

async function main(): Promise<void> {
  let args: ParsedArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`simulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(exitCodes.usage);
  }
  if (args.listFaults) {
    // One flavor's list: a fault limited to other flavors is left out (see `flavors` in faults/fault.ts).
    for (const fault of faults) {
      if (args.meshControlPlane === 'upstream' && fault.emulatedMeshControlPlaneOnly) continue;
      if (faultAppliesTo(fault, args.registered)) process.stdout.write(`${fault.name}\t${fault.outcome}\t${describeFault(fault, args.registered)}\n`);
    }
    process.exit(exitCodes.ok);
  }

  let stopping = false;
  let closeSimulator: (() => Promise<void>) | undefined;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`simulator: ${signal} received, stopping\n`);
    // The hard deadline: whatever has not stopped by then is abandoned (children are killed on exit).
    setTimeout(() => {
      process.stderr.write(`simulator: shutdown did not finish within ${shutdownBudgetMs / 1000}s; exiting anyway\n`);
      process.exit(exitCodes.ok);
    }, shutdownBudgetMs).unref();
    void (closeSimulator?.() ?? Promise.resolve()).finally(() => process.exit(exitCodes.ok));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  if (args.exitWithParent) {
    // The parent-death watchdog: the parent holds the write end of our stdin; when it dies, even by SIGKILL,
    // the pipe closes and we stop like on SIGTERM (children included) instead of running on as an orphan.
    process.stdin.on('end', () => shutdown('end of stdin (parent exited)'));
    process.stdin.on('error', () => shutdown('stdin error (parent exited)'));
    process.stdin.resume();
  }

  try {
    const sim = await startSimulator({
      mesh: args.mesh,
      flavor: args.flavor,
      controlPlane: args.controlPlane,
      meshControlPlane: args.meshControlPlane,
      kubeconfig: args.kubeconfig,
      faults: args.faults,
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.requestLog ? { requestLog: args.requestLog } : {}),
      ...(args.conditionLog ? { conditionLog: args.conditionLog } : {}),
      ...(args.timings ? { timings: args.timings } : {}),
      readyTimeoutMs: args.readyTimeoutMs,
      ...(args.token ? { token: args.token } : {}),
      ...(args.scenario ? { scenario: args.scenario } : {}),
      log: (line) => process.stderr.write(`simulator: ${line}\n`),
    });
    closeSimulator = () => sim.close();
    if (stopping) {
      await sim.close();
      process.exit(exitCodes.ok);
    }
    process.stdout.write(`${sim.readyLine}\n`);
  } catch (error) {
    if (stopping) return;
    const missing = [error, (error as { cause?: unknown } | undefined)?.cause].find((e) => e instanceof UpstreamBinariesMissingError || e instanceof UpstreamIstiodMissingError);
    if (missing instanceof Error) {
      process.stderr.write(`simulator: ${missing.message}\n`);
      process.exit(exitCodes.usage);
    }
    if ((error as { code?: unknown } | undefined)?.code === 'EADDRINUSE') {
      process.stderr.write(`simulator: port ${args.port ?? ''} is already in use: pass another --port, or omit --port to use a free one\n`);
      process.exit(exitCodes.usage);
    }
    process.stderr.write(`simulator: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(exitCodes.startFailed);
  }
}

await main();
