import { runCheck } from './check-command.ts';
import { runCleanup } from './cleanup-command.ts';
import { runConfigCommand } from './config-command.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { listChecks } from './list-checks.ts';
import { parseArgs } from './program.ts';
import { runConformance } from './run-command.ts';
import { runSimulator } from './sim-command.ts';

/** Runs the CLI for `argv` (after the program name) and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  try {
    const inv = parseArgs(argv);
    if (inv.command === 'run' && inv.list) return await listChecks(inv);
    if (inv.command === 'run') return await runConformance(inv);
    if (inv.command === 'sim') return await runSimulator(inv);
    if (inv.command === 'cleanup') return await runCleanup(inv);
    if (inv.command === 'config') return await runConfigCommand(inv);
    if (inv.command === 'check') return await runCheck(inv);
    return exitCodes.passed;
  } catch (err) {
    if (err instanceof BadInputError) {
      process.stderr.write(`mesh-conformance: ${err.message}\n`);
      return exitCodes.badInput;
    }
    // Anything else is the harness or the environment failing: still one line, the stack only on demand.
    process.stderr.write(`mesh-conformance: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    if (process.env.MESH_CONFORMANCE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCodes.checkFailed;
  }
}

process.exitCode = await main(process.argv.slice(2));
