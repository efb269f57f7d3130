// The shared frame of the set-up scripts: options, --help, --dry-run, the tool check, and exit codes
// (0 done, 1 a command failed, 2 bad usage or a missing tool), each problem as one line.
import process from 'node:process';
import { minimist, which } from 'zx';
import { CommandFailed, dryRunner, zxRunner } from './runner.mjs';
import { missingTools } from './tools.mjs';

/**
 * @param {{ name: string, usage: string, options: Record<string, 'string' | 'boolean'>, tools: string[] | ((o: Record<string, unknown>) => string[]),
 *   main: (runner: import('./runner.mjs').Runner, options: Record<string, unknown>) => Promise<unknown>,
 *   versions?: (o: Record<string, unknown>) => Readonly<Record<string, string>>,
 *   argv?: string[], out?: import('./runner.mjs').Writable, err?: import('./runner.mjs').Writable, has?: (tool: string) => Promise<boolean> }} spec
 * @returns {Promise<number>} the exit code
 */
export async function scriptMain(spec) {
  const out = spec.out ?? process.stdout;
  const err = spec.err ?? process.stderr;
  /** @param {number} code @param {string} message */
  const fail = (code, message) => {
    err.write(`${spec.name}: ${message}\n`);
    return code;
  };
  const booleans = ['dry-run', 'help', ...Object.entries(spec.options).filter(([, t]) => t === 'boolean').map(([k]) => k)];
  const strings = Object.entries(spec.options).filter(([, t]) => t === 'string').map(([k]) => k);
  const args = minimist(spec.argv ?? process.argv.slice(2), { boolean: booleans, string: strings });
  const unknown = Object.keys(args).filter((k) => k !== '_' && !booleans.includes(k) && !strings.includes(k));
  if (unknown.length || args._.length) return fail(2, `unknown argument ${unknown.length ? `--${unknown[0]}` : String(args._[0])}; usage: ${spec.usage}`);
  if (args.help) {
    out.write(`usage: ${spec.usage}\n`);
    return 0;
  }
  for (const k of strings) if (k in args && (typeof args[k] !== 'string' || args[k] === '')) return fail(2, `--${k} needs a value; usage: ${spec.usage}`);
  const runner = args['dry-run'] ? dryRunner({ out }) : zxRunner({ out });
  if (!runner.dryRun) {
    const has = spec.has ?? (async (tool) => Boolean(await which(tool, { nothrow: true })));
    const tools = typeof spec.tools === 'function' ? spec.tools(args) : spec.tools;
    const missing = await missingTools(tools, has, spec.versions?.(args));
    if (missing.length) return fail(2, `${missing.length} tool${missing.length === 1 ? '' : 's'} missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
  try {
    await spec.main(runner, args);
    return 0;
  } catch (e) {
    if (e instanceof CommandFailed || e instanceof UsageError) return fail(e instanceof UsageError ? 2 : 1, e.message);
    return fail(1, e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e));
  }
}

/** Bad input found by a script's own logic (exit 2). */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}
