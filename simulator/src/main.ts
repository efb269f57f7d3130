/**
 * The simulated cluster as a process (docs/plan-contracts.md "Processes"):
 *   node --import tsx simulator/src/main.ts --flavor kind|aks --kubeconfig FILE [--fault NAME]... [--list-faults]
 * Prints exactly one `simulator ready ...` line on stdout when it serves, keeps serving until SIGINT or
 * SIGTERM, then stops everything within 5 s and exits 0. Bad arguments: one line on stderr, exit 2.
 */
import { Command, CommanderError, Option } from 'commander';
import { faultCatalog, isFaultName } from './faults.ts';
import type { FaultName } from './faults.ts';
import { flavorNames, isFlavorName } from './flavors/index.ts';
import type { FlavorName } from './flavors/index.ts';
import { startSimulator } from './simulator.ts';

const exitCodes = { ok: 0, startFailed: 1, usage: 2 } as const;
const shutdownBudgetMs = 5_000;

class UsageError extends Error {}

interface ParsedArgs {
  flavor: FlavorName;
  kubeconfig: string;
  faults: FaultName[];
  listFaults: boolean;
  port: number | undefined;
  requestLog: string | undefined;
  readyTimeoutMs: number;
}

function parseArgs(argv: string[]): ParsedArgs {
  const program = new Command('simulator')
    .description('Simulated Kubernetes cluster with the OSM 1.2 control plane')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .addOption(new Option('--flavor <flavor>', 'cluster flavor').choices([...flavorNames]).default('kind'))
    .option('--kubeconfig <file>', 'where to write the kubeconfig', 'reports/simulator/kubeconfig')
    .option('--fault <name>', 'switch on a named fault (repeatable; --list-faults shows them)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--list-faults', 'print NAME<TAB>fail|pass<TAB>description for every fault and exit')
    .option('--port <n>', 'API server port (default: any free port)')
    .option('--request-log <file>', 'write the API request log to this JSONL file')
    .option('--ready-timeout <seconds>', 'how long to wait for the control-plane pods', '60');
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) process.exit(exitCodes.ok);
    throw new UsageError(error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error));
  }
  const o = program.opts<{ flavor: string; kubeconfig: string; fault: string[]; listFaults?: boolean; port?: string; requestLog?: string; readyTimeout: string }>();
  if (!isFlavorName(o.flavor)) throw new UsageError(`unknown flavor "${o.flavor}"; valid flavors: ${flavorNames.join(', ')}`);
  const unknown = o.fault.filter((f) => !isFaultName(f));
  if (unknown.length > 0) throw new UsageError(`unknown fault "${unknown[0]}"; valid faults: ${Object.keys(faultCatalog).join(', ')}`);
  let port: number | undefined;
  if (o.port !== undefined) {
    port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port "${o.port}": expected an integer from 0 to 65535`);
  }
  const readySeconds = Number(o.readyTimeout);
  if (!Number.isFinite(readySeconds) || readySeconds <= 0) throw new UsageError(`invalid --ready-timeout "${o.readyTimeout}": expected a positive number of seconds`);
  return {
    flavor: o.flavor,
    kubeconfig: o.kubeconfig,
    faults: o.fault.filter(isFaultName),
    listFaults: o.listFaults === true,
    port,
    requestLog: o.requestLog,
    readyTimeoutMs: readySeconds * 1000,
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
    for (const [name, fault] of Object.entries(faultCatalog)) process.stdout.write(`${name}\t${fault.outcome}\t${fault.description}\n`);
    process.exit(exitCodes.ok);
  }

  let stopping = false;
  let closeSimulator: (() => Promise<void>) | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
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

  try {
    const sim = await startSimulator({
      flavor: args.flavor,
      kubeconfig: args.kubeconfig,
      faults: args.faults,
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.requestLog ? { requestLog: args.requestLog } : {}),
      readyTimeoutMs: args.readyTimeoutMs,
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
    process.stderr.write(`simulator: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(exitCodes.startFailed);
  }
}

await main();
