import { Command, CommanderError, Option } from 'commander';
import type { ConfigKey } from '../harness/config/config-schema.ts';
import type { ConfigLayer } from '../harness/config/resolve-config.ts';
import { flavors, targets } from '../harness/config/targets.ts';
import { BadInputError } from './exit-codes.ts';

/** `mesh-conformance run …` as parsed: flag values (only those given) and what passes through to Playwright. */
export interface RunInvocation {
  command: 'run';
  flags: Partial<Record<ConfigKey, unknown>>;
  playwrightArgs: string[];
}

/** `mesh-conformance sim …` as parsed. */
export interface SimInvocation {
  command: 'sim';
  flavor: 'kind' | 'aks';
  kubeconfig: string | undefined;
  faults: string[];
  listFaults: boolean;
  reportDir: string | undefined;
}

/** A parsed command line, or a request that was fully handled by commander (help, version). */
export type Invocation = RunInvocation | SimInvocation | { command: 'done' };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Names CLI flags in configuration messages (`--consecutive-successes`). */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^timeouts\./, 'timeout-')}`;

/** The flags of `run` as a configuration layer (highest precedence). */
export function flagLayer(flags: Partial<Record<ConfigKey, unknown>>): ConfigLayer {
  return { nameOf: flagName, values: flags };
}

function buildProgram(onParsed: (inv: Invocation) => void, out: { write: (s: string) => void }): Command {
  const program = new Command('mesh-conformance')
    .description('End-to-end conformance checks of a Kubernetes cluster\'s service mesh (OSM 1.2 profile)')
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
    .option('--sim-fault <name>', 'switch on a simulator fault (repeatable; see `mesh-conformance sim --list-faults`)', collect, [])
    .option('--consecutive-successes <n>', 'HTTP responses required in a row (default 5)')
    .option('--keep-on-failure', 'keep the namespace of a failed run for inspection')
    .option('--report-dir <dir>', 'where reports go (default reports)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[playwright-args...]', 'passed to `playwright test` (e.g. --grep @ingress; everything after --)')
    .action((playwrightArgs: string[], opts: Record<string, unknown>) => {
      const flags: Partial<Record<ConfigKey, unknown>> = {};
      const take = (key: ConfigKey, value: unknown): void => {
        if (value !== undefined) flags[key] = value;
      };
      take('target', opts.target);
      take('kubeconfig', opts.kubeconfig);
      take('context', opts.context);
      take('flavor', opts.flavor);
      take('consecutiveSuccesses', opts.consecutiveSuccesses);
      take('keepOnFailure', opts.keepOnFailure);
      take('reportDir', opts.reportDir);
      if (Array.isArray(opts.simFault) && opts.simFault.length) flags.simFaults = opts.simFault;
      // commander keeps a `--` that follows an unknown option; Playwright would read what follows as file filters.
      onParsed({ command: 'run', flags, playwrightArgs: playwrightArgs.filter((a) => a !== '--') });
    });

  program.command('sim')
    .description('start the simulated cluster in the foreground (Ctrl-C stops it)')
    .addOption(new Option('--flavor <flavor>', 'cluster flavor').choices(flavors).default('kind'))
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default <report-dir>/simulator/standalone/kubeconfig)')
    .option('--fault <name>', 'switch on a fault (repeatable)', collect, [])
    .option('--list-faults', 'print the fault catalogue and exit')
    .option('--report-dir <dir>', 'base directory for the default kubeconfig path (default reports)')
    .action((opts: { flavor: 'kind' | 'aks'; kubeconfig?: string; fault: string[]; listFaults?: boolean; reportDir?: string }) => {
      onParsed({ command: 'sim', flavor: opts.flavor, kubeconfig: opts.kubeconfig, faults: opts.fault, listFaults: !!opts.listFaults, reportDir: opts.reportDir });
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
