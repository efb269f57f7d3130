// How the set-up scripts run commands: one interface, three implementations. The real one runs them with zx and
// prints each command line first; `--dry-run` only prints them; tests swap in a recorder that answers queries from
// a script, so the composed command lines are tested without docker, kind, az, helm or osm.
import process from 'node:process';
import { $, quote } from 'zx';

/**
 * @typedef {{ input?: string }} RunOptions
 * @typedef {{ ok: boolean, stdout: string, stderr: string }} QueryResult
 * @typedef {{
 *   run: (cmd: string, args: string[], opts?: RunOptions) => Promise<void>,
 *   query: (cmd: string, args: string[]) => Promise<QueryResult>,
 *   say: (line: string) => void,
 *   dryRun: boolean,
 * }} Runner
 * @typedef {{ write: (chunk: string) => unknown }} Writable where a runner prints (a stream, or a test's sink)
 * @typedef {[string | RegExp, Partial<QueryResult>]} Answer a recorded query's command line (or a RegExp over it) and its result
 * @typedef {{ kind: 'run' | 'query', line: string, input?: string }} RecordedCall
 * @typedef {Runner & { calls: RecordedCall[], said: string[], readonly commands: string[] }} RecordingRunner
 */

/**
 * `kind create cluster --name x --config -` as a shell would read it.
 * @param {string} cmd
 * @param {string[]} args
 * @returns {string}
 */
export function commandLine(cmd, args) {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ');
}

/** A command that failed: the CLI prints its message as one line, exit 1. */
export class CommandFailed extends Error {
  /**
   * @param {string} line the command line
   * @param {number | null} code its exit code
   * @param {string} stderr its error output (the last line goes into the message)
   */
  constructor(line, code, stderr) {
    const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
    super(`\`${line}\` failed with exit code ${code}${last ? `: ${last}` : ''}`);
    this.name = 'CommandFailed';
  }
}

/**
 * The real runner: `run` streams the command's output and throws `CommandFailed` on a non-zero exit; `query`
 * captures output and never throws (read-only questions such as "does the cluster exist?").
 * @param {{ out?: Writable }} [opts]
 * @returns {Runner}
 */
export function zxRunner({ out = process.stdout } = {}) {
  /** @param {string} line */
  const say = (line) => out.write(`${line}\n`);
  return {
    dryRun: false,
    say,
    async run(cmd, args, opts = {}) {
      const line = commandLine(cmd, args);
      say(`+ ${line}${opts.input !== undefined ? ' (input on stdin)' : ''}`);
      // The tool's own output goes straight to the terminal (progress of long steps); its message is the error.
      const res = await $({ input: opts.input, nothrow: true, verbose: false, stdio: ['pipe', 'inherit', 'inherit'] })`${cmd} ${args}`;
      if (res.exitCode !== 0) throw new CommandFailed(line, res.exitCode, '');
    },
    async query(cmd, args) {
      const res = await $({ nothrow: true, quiet: true, verbose: false })`${cmd} ${args}`;
      return { ok: res.exitCode === 0, stdout: res.stdout, stderr: res.stderr };
    },
  };
}

/**
 * `--dry-run`: prints every command (with the stdin it would get) and runs none. Queries answer "no" (as on a
 * machine with nothing set up), so the output is the full set-up from scratch.
 * @param {{ out?: Writable }} [opts]
 * @returns {Runner}
 */
export function dryRunner({ out = process.stdout } = {}) {
  /** @param {string} line */
  const say = (line) => out.write(`${line}\n`);
  return {
    dryRun: true,
    say,
    async run(cmd, args, opts = {}) {
      say(`+ ${commandLine(cmd, args)}`);
      if (opts.input !== undefined) say(opts.input.replace(/^/gm, '    | ').trimEnd());
      await Promise.resolve();
    },
    async query(cmd, args) {
      say(`? ${commandLine(cmd, args)}`);
      await Promise.resolve();
      return { ok: false, stdout: '', stderr: 'dry run' };
    },
  };
}

/**
 * For tests: records every command line; `answers` maps a query's command line (or a RegExp over it) to its result.
 * @param {Answer[]} answers
 * @returns {RecordingRunner}
 */
export function recordingRunner(answers = []) {
  /** @type {RecordedCall[]} */
  const calls = [];
  /** @type {string[]} */
  const said = [];
  return {
    calls,
    said,
    /** The command lines run (not the queries). */
    get commands() {
      return calls.filter((c) => c.kind === 'run').map((c) => c.line);
    },
    dryRun: false,
    say: (line) => said.push(line),
    async run(cmd, args, opts = {}) {
      calls.push({ kind: 'run', line: commandLine(cmd, args), ...(opts.input !== undefined ? { input: opts.input } : {}) });
      await Promise.resolve();
    },
    async query(cmd, args) {
      const line = commandLine(cmd, args);
      calls.push({ kind: 'query', line });
      await Promise.resolve();
      const hit = answers.find(([k]) => (typeof k === 'string' ? k === line : k.test(line)));
      return { ok: false, stdout: '', stderr: '', ...(hit ? { ok: true, ...hit[1] } : {}) };
    },
  };
}
