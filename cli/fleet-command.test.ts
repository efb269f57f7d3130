import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { passThroughArgs, selectContexts } from './fleet-command.ts';
import { parseArgs } from './program.ts';
import { runMain } from './testing/run-main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-fleet-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sel = (over: Partial<{ contexts: string[]; contextsFile: string; contextPattern: string }>) => ({ contexts: [], contextsFile: undefined, contextPattern: undefined, concurrency: 4, ...over });

describe('fan-out selection (run with several contexts)', () => {
  it('several --context, a contexts file or a pattern make a fan-out; one --context does not', () => {
    const inv = parseArgs(['run', '--target', 'kind', '--context', 'a', '--context', 'b', '--fleet-concurrency', '2', '--', '--grep', '@ingress']);
    assert.ok(inv.command === 'run');
    assert.deepEqual(inv.fleet, { contexts: ['a', 'b'], contextsFile: undefined, contextPattern: undefined, concurrency: 2 });
    assert.equal(inv.flags.context, undefined);
    const single = parseArgs(['run', '--target', 'kind', '--context', 'a']);
    assert.ok(single.command === 'run' && single.fleet === undefined && single.flags.context === 'a');
    assert.throws(() => parseArgs(['run', '--context', 'a', '--fleet-concurrency', '0', '--context', 'b']), /^BadInputError: invalid --fleet-concurrency "0": expected a whole number from 1 to 32$/);
    assert.throws(() => parseArgs(['run', '--fleet-concurrency', '3']), /--fleet-concurrency applies to a fan-out/);
    assert.throws(() => parseArgs(['config', '--context', 'a', '--context', 'b']), /^BadInputError: config looks at one cluster: pass one --context/);
  });

  it('passes every other option on to each cluster\'s run, and Playwright\'s arguments unchanged', () => {
    assert.deepEqual(passThroughArgs(['--target', 'kind', '--context', 'a', '--context=b', '--contexts-file', 'f', '--namespaces', '2', '--report-dir', 'r', '--results-dir=x', '--keep-on-failure', '--', '--grep', '--context']),
      ['--namespaces', '2', '--keep-on-failure', '--', '--grep', '--context']);
  });

  it('selects contexts from flags, a file (comments ignored) and a glob, each once, in order; unknown or none is bad input', () => {
    const available = ['prod-a', 'prod-b', 'staging'];
    const file = join(dir, 'contexts');
    writeFileSync(file, '# the fleet\nstaging\nprod-a  # dup\n\n');
    assert.deepEqual(selectContexts(sel({ contexts: ['prod-b'], contextsFile: file, contextPattern: 'prod-*' }), available, 'kc', dir), ['prod-b', 'staging', 'prod-a']);
    assert.throws(() => selectContexts(sel({ contexts: ['prod-c', 'x'] }), available, '/k', dir), /^BadInputError: contexts "prod-c", "x" not found in \/k \(contexts: prod-a, prod-b, staging\)$/);
    assert.throws(() => selectContexts(sel({ contextPattern: 'dev-*' }), available, '/k', dir), /^BadInputError: no kubeconfig context matches --context-pattern "dev-\*" in \/k/);
    assert.throws(() => selectContexts(sel({ contextsFile: join(dir, 'missing') }), available, '/k', dir), /^BadInputError: cannot read --contexts-file \S+missing/);
  });

  it('refuses the local target and an unreadable kubeconfig, one line, exit 2', async () => {
    const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('MESH_CONFORMANCE_')).map((k) => [k, undefined]));
    const local = await runMain(['run', '--target', 'local', '--context', 'a', '--context', 'b'], { env: { ...clean, KUBECONFIG: '' }, cwd: dir });
    assert.equal(local.code, 2);
    assert.match(local.stderr, /^mesh-conformance: a fan-out checks real clusters through their kubeconfig contexts: pass --target kind\|aks/);
    const missing = await runMain(['run', '--kubeconfig', join(dir, 'none'), '--context', 'a', '--context', 'b'], { env: { ...clean, KUBECONFIG: '' }, cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^mesh-conformance: cannot read kubeconfig \S+none: .*; pass --kubeconfig FILE holding the contexts to check\n$/);
  });
});
