import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingPorts } from './dapr-readiness.ts';

test('missingPorts lists the required ports not excluded, once each, sorted', () => {
  assert.deepEqual(missingPorts([50005, 8201, 80, 80], new Set([80])), [8201, 50005]);
  assert.deepEqual(missingPorts([50005, 8201, 80], new Set([80, 8201, 50005, 6379])), []);
});
