import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import { flowBatches, flowChecksEnv, flowChecksSelected, flowWorkers, withoutTestFilters, workersEnv } from './flow-plan.ts';

void describe('flow plan', () => {
  void it('runs one copy as Playwright tests of its own, more as flows dealt round-robin over the workers, each once', () => {
    assert.equal(flowBatches(1, 2), undefined);
    assert.deepEqual(flowBatches(2, 1), [[0, 1]]);
    assert.deepEqual(flowBatches(5, 2), [[0, 2, 4], [1, 3]]);
    assert.deepEqual(flowBatches(2, 8), [[0], [1]]);
    const batches = flowBatches(50, 2) ?? [];
    assert.equal(batches.length, 2);
    assert.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });

  void it('takes one worker per 25 copies, at most one per core, or MESH_CONFORMANCE_WORKERS; refuses a bad value with one line', () => {
    assert.equal(flowWorkers(20, {}), 1);
    assert.equal(flowWorkers(50, {}), Math.min(2, availableParallelism()));
    assert.equal(flowWorkers(20, { [workersEnv]: '3' }), 3);
    assert.equal(flowWorkers(2, { [workersEnv]: '3' }), 2);
    for (const bad of ['0', '51', '1.5', 'two']) {
      assert.throws(() => flowWorkers(5, { [workersEnv]: bad }), new RegExp(`^RangeError: invalid ${workersEnv}="${bad.replace('.', '\\.')}": set a whole number from 1 to 50`));
    }
  });

  void it('hands the CLI\'s selection of checks to a flows run instead of Playwright\'s filters', () => {
    assert.deepEqual(withoutTestFilters(['--grep', '@ingress', '-g=x', '--grep-invert', '@canary', '--trace', 'on', '-gv', 'y']), ['--trace', 'on']);
    assert.deepEqual([...flowChecksSelected({ [flowChecksEnv]: 'namespace,httpbin' }) ?? []], ['namespace', 'httpbin']);
    assert.equal(flowChecksSelected({}), undefined);
  });
});
