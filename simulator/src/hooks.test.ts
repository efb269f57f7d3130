// combineHooks: neutral defaults, and how the contributions of several faults merge.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { ApiError } from './cluster/types.ts';
import type { KubeObject } from './cluster/types.ts';
import { combineHooks, noHooks } from './hooks.ts';

const svc = (namespace: string, name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name } });
const req = { url: '/api/v1/pods' } as IncomingMessage;

void test('without contributions every extension point is neutral', async () => {
  assert.equal(await noHooks.api.beforeRequest(req), undefined);
  assert.deepEqual(noHooks.api.accessReview({}), { allowed: true });
  assert.equal(noHooks.cluster.nodeArch, 'amd64');
  assert.equal(noHooks.cluster.withholdEndpoints(svc('a', 'b')), false);
  assert.equal(noHooks.mesh.policyAdmissionDenial(svc('a', 'b')), undefined);
  assert.deepEqual([noHooks.mesh.skipInjection, noHooks.node.sidecarNeverReady, noHooks.ingress.withholdAddress], [false, false, false]);
  const builtin = () => undefined;
  assert.equal(noHooks.api.serviceProxy(builtin), builtin);
});

void test('flags and predicates hold when any contribution says so; the first error and denial win', async () => {
  const order: string[] = [];
  const hooks = combineHooks([
    { cluster: { withholdEndpoints: (s) => s.metadata.name === 'one' }, api: { beforeRequest: () => { order.push('slow'); return Promise.resolve(undefined); } } },
    { cluster: { withholdEndpoints: (s) => s.metadata.name === 'two', nodeArch: 'arm64' }, node: { sidecarNeverReady: true } },
    { api: { beforeRequest: () => { order.push('flaky'); return Promise.resolve(new ApiError(500, 'InternalError', 'first')); } } },
    { api: { beforeRequest: () => { order.push('never'); return Promise.resolve(new ApiError(429, 'TooManyRequests', 'second')); } } },
    { api: { accessReview: () => ({ allowed: true }) } },
    { api: { accessReview: () => ({ allowed: false, reason: 'no' }) } },
  ]);
  assert.deepEqual([hooks.cluster.withholdEndpoints(svc('x', 'one')), hooks.cluster.withholdEndpoints(svc('x', 'two')), hooks.cluster.withholdEndpoints(svc('x', 'three'))], [true, true, false]);
  assert.equal(hooks.cluster.nodeArch, 'arm64');
  assert.equal(hooks.node.sidecarNeverReady, true);
  assert.equal(hooks.node.appAlways503, false);
  assert.equal((await hooks.api.beforeRequest(req))?.message, 'first');
  assert.deepEqual(order, ['slow', 'flaky']);
  assert.deepEqual(hooks.api.accessReview({}), { allowed: false, reason: 'no' });
});

void test('every watch-cut contribution applies and the disposer clears them all', () => {
  let armed = 0;
  const hooks = combineHooks([
    { api: { onWatchOpened: () => { armed++; return () => armed--; } } },
    { api: { onWatchOpened: () => { armed++; return () => armed--; } } },
  ]);
  const dispose = hooks.api.onWatchOpened(() => undefined);
  assert.equal(armed, 2);
  dispose();
  assert.equal(armed, 0);
});
