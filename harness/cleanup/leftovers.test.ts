import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Namespace } from '@kubernetes/client-node';
import { runLabelKeys } from '../k8s/run-labels.ts';
import { classifyRunNamespace, heartbeat, heartbeatAnnotation, parseLabelTimestamp } from './leftovers.ts';
import { cleanupConfig } from '../../cli/cleanup-command.ts';

const now = new Date('2026-11-24T12:00:00Z');
const hour = 3_600_000;

function ns(opts: { runId?: string; createdAt?: string; heartbeatAgoMs?: number; managedBy?: string; terminating?: boolean }): V1Namespace {
  return {
    metadata: {
      name: 'mesh-conformance-abcde',
      labels: {
        ...(opts.runId !== undefined ? { [runLabelKeys.runId]: opts.runId } : {}),
        ...(opts.createdAt ? { [runLabelKeys.createdAt]: opts.createdAt } : {}),
        [runLabelKeys.managedBy]: opts.managedBy ?? 'mesh-conformance',
      },
      ...(opts.heartbeatAgoMs !== undefined ? { annotations: { [heartbeatAnnotation]: new Date(now.getTime() - opts.heartbeatAgoMs).toISOString() } } : {}),
      ...(opts.terminating ? { deletionTimestamp: now } : {}),
    },
  };
}

describe('classifyRunNamespace', () => {
  const verdict = (n: V1Namespace, ttlMs = hour, ownRunId?: string) => classifyRunNamespace(n, { now, ttlMs, ownRunId }).verdict;

  it('sweeps a dead run older than the TTL', () => {
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T100000Z' })), 'sweep');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T100000Z', heartbeatAgoMs: heartbeat.staleAfterMs + 1 })), 'sweep');
  });

  it('keeps a run younger than the TTL, a live run of any age, this run, and terminating namespaces', () => {
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T113000Z' })), 'younger-than-ttl');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T000000Z', heartbeatAgoMs: 5_000 })), 'live');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T000000Z' }), hour, 'r1'), 'own-run');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T000000Z', terminating: true })), 'terminating');
  });

  it('never touches what it did not create', () => {
    assert.equal(verdict(ns({ createdAt: '20261124T000000Z' })), 'not-ours');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T000000Z', managedBy: 'helm' })), 'not-ours');
  });

  it('with TTL 0 sweeps every dead run but still no live one', () => {
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T115959Z' }), 0), 'sweep');
    assert.equal(verdict(ns({ runId: 'r1', createdAt: '20261124T115959Z', heartbeatAgoMs: 1_000 }), 0), 'live');
  });

  it('parses the created-at label and TTLs', () => {
    assert.equal(parseLabelTimestamp('20261124T203700Z')?.toISOString(), '2026-11-24T20:37:00.000Z');
    assert.equal(parseLabelTimestamp('2026-11-24'), undefined);
    const ttl = (t: string | undefined, env: NodeJS.ProcessEnv = {}) => cleanupConfig({ command: 'cleanup', kubeconfig: undefined, context: undefined, ttl: t, dryRun: false }, env).sweepTtl;
    assert.equal(ttl('2h'), 2 * hour);
    assert.equal(ttl('30m'), hour / 2);
    assert.equal(ttl('0'), 0);
    assert.equal(ttl(undefined), hour);
    assert.equal(ttl(undefined, { MESH_CONFORMANCE_SWEEP_TTL: '90s' }), 90_000);
    assert.throws(() => ttl('soon'), /sweepTtl must be a duration such as 30m, 2h or 0, at most 24h \(got "soon" from --ttl\)/);
  });
});
