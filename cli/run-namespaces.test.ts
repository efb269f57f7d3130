import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from './exit-codes.ts';
import { parseArgs } from './program.ts';
import type { RunInvocation } from './program.ts';
import { namespacesArgs } from './run-command.ts';

const quiet = { write: () => undefined };

void describe('run --namespaces', () => {
  void it('parses N and turns it into one Playwright worker per copy of the flow', () => {
    const inv = parseArgs(['run', '--namespaces', '5'], quiet) as RunInvocation;
    assert.equal(inv.namespaces, 5);
    assert.deepEqual(namespacesArgs(inv.namespaces), ['--repeat-each', '5', '--workers', '5']);
  });

  void it('adds nothing for one namespace or when absent', () => {
    assert.deepEqual(namespacesArgs(1), []);
    assert.deepEqual(namespacesArgs((parseArgs(['run'], quiet) as RunInvocation).namespaces), []);
  });

  void it('refuses a value that is not a whole number from 1 to 50 with one line', () => {
    for (const bad of ['0', '51', '2.5', 'many']) {
      assert.throws(() => parseArgs(['run', '--namespaces', bad], quiet), (err: unknown) => {
        assert.ok(err instanceof BadInputError);
        assert.equal(err.message, `invalid --namespaces "${bad}": pass a whole number from 1 to 50`);
        return true;
      });
    }
  });
});
