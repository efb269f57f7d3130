import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowBatches, flowChecksEnv, flowChecksSelected, withoutTestFilters, workerLimit, workersEnv } from './flow-plan.ts';

void describe('flow plan', () => {
  void it('gives every copy a worker of its own up to the limit', () => {
    assert.equal(flowBatches(1, 2), undefined);
    assert.equal(flowBatches(2, 2), undefined);
  });

  void it('deals copies round-robin over the workers above the limit, each copy once', () => {
    assert.deepEqual(flowBatches(5, 2), [[0, 2, 4], [1, 3]]);
    const batches = flowBatches(20, 2) ?? [];
    assert.equal(batches.length, 2);
    assert.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  });

  void it('takes the limit from MESH_CONFORMANCE_WORKERS and refuses a bad value with one line', () => {
    assert.equal(workerLimit({ [workersEnv]: '3' }), 3);
    assert.ok(workerLimit({}) >= 1);
    for (const bad of ['0', '51', '1.5', 'two']) {
      assert.throws(() => workerLimit({ [workersEnv]: bad }), new RegExp(`^RangeError: invalid ${workersEnv}="${bad.replace('.', '\\.')}": set a whole number from 1 to 50`));
    }
  });

  void it('hands the CLI\'s selection of checks to a flows run instead of Playwright\'s filters', () => {
    assert.deepEqual(withoutTestFilters(['--grep', '@ingress', '-g=x', '--grep-invert', '@canary', '--trace', 'on', '-gv', 'y']), ['--trace', 'on']);
    assert.deepEqual([...flowChecksSelected({ [flowChecksEnv]: 'namespace,httpbin' }) ?? []], ['namespace', 'httpbin']);
    assert.equal(flowChecksSelected({}), undefined);
  });
});
