import { redactText } from '../harness/report/redact.ts';
import { errorText } from '../harness/text.ts';
import { runCheck } from './check-command.ts';
import { runCleanup } from './cleanup-command.ts';
import { runConfigCommand } from './config-command.ts';
import { BadInputError, InfrastructureError, exitCodes } from './exit-codes.ts';
import { listChecks } from './list-checks.ts';
import { runMigrate } from './migrate-command.ts';
import { parseArgs } from './program.ts';
import { runFleet } from './fleet-command.ts';
import { runWithResults } from './run-with-results.ts';
import { runSimulator } from './sim-command.ts';

/** Where the CLI writes: the process's streams, or (in tests) collectors. */
export interface CliOutput {
  stdout: { write: (s: string) => void };
  stderr: { write: (s: string) => void };
}

/**
 * Runs the CLI for `argv` (after the program name) and returns the exit code; never throws. The bin calls it; unit
 * tests call it in-process with their own output.
 */
export async function main(argv: string[], io: CliOutput = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const inv = parseArgs(argv, io.stdout);
    if (inv.command === 'run' && inv.list) return await listChecks(inv);
    if (inv.command === 'run' && inv.fleet) return await runFleet(inv, io.stdout);
    if (inv.command === 'run') return await runWithResults(inv, io.stdout);
    if (inv.command === 'sim') return await runSimulator(inv);
    if (inv.command === 'cleanup') return await runCleanup(inv, io.stdout);
    if (inv.command === 'config') return await runConfigCommand(inv, io.stdout);
    if (inv.command === 'check') return await runCheck(inv);
    if (inv.command === 'migrate') return await runMigrate(inv, io.stdout, io.stderr);
    return exitCodes.passed;
  } catch (err) {
    if (err instanceof BadInputError) {
      io.stderr.write(`mesh-conformance: ${redactText(err.message)}\n`);
      return exitCodes.badInput;
    }
    if (err instanceof InfrastructureError) {
      io.stderr.write(`mesh-conformance: ${redactText(err.message)}\n`);
      return exitCodes.infrastructure;
    }
    // Anything else is the harness or the environment failing: still one line, the stack only on demand.
    io.stderr.write(`mesh-conformance: ${redactText(errorText(err))}\n`);
    if (process.env.MESH_CONFORMANCE_DEBUG && err instanceof Error) io.stderr.write(`${redactText(err.stack ?? '')}\n`);
    return exitCodes.checkFailed;
  }
}

