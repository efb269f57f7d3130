import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from './exit-codes.ts';
import { parseArgs } from './program.ts';
import type { RunInvocation } from './program.ts';
import { namespacesArgs } from './run-command.ts';

const quiet = { write: () => undefined };

void describe('run --namespaces', () => {
  void it('parses N and runs the copies as concurrent flows in a few workers', () => {
    const inv = parseArgs(['run', '--namespaces', '5'], quiet) as RunInvocation;
    assert.equal(inv.namespaces, 5);
    assert.deepEqual(namespacesArgs(inv.namespaces, {}), ['--workers', '1']);
    assert.deepEqual(namespacesArgs(5, { MESH_CONFORMANCE_WORKERS: '2' }), ['--workers', '2']);
  });

  void it('refuses a bad MESH_CONFORMANCE_WORKERS as bad input, with one line', () => {
    assert.throws(() => namespacesArgs(5, { MESH_CONFORMANCE_WORKERS: '0' }), (err: unknown) => {
      assert.ok(err instanceof BadInputError);
      assert.match(err.message, /^invalid MESH_CONFORMANCE_WORKERS="0": set a whole number from 1 to 50/);
      return true;
    });
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
