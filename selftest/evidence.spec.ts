// The matrix's own judges must be able to say no: duplicate creates are found, and a message fragment that is
// not in the message does not match.
import { expect, test } from '@playwright/test';
import type { RequestLogEntry } from './conformance-run.ts';
import { createdObjects, createdTwice } from './conformance-run.ts';
import { fragmentSource, matchesFragment } from './templates.ts';

const entry = (method: string, path: string, status: number, created?: string): RequestLogEntry =>
  ({ time: '', verb: '', method, path, status, durationMs: 0, userAgent: 'mesh-conformance', ...(created ? { created } : {}) });

test('createdTwice: a create retried after it had succeeded is found; distinct objects and failed attempts are not', () => {
  const ns = entry('POST', '/api/v1/namespaces?fieldManager=mesh-conformance', 201, 'mesh-conformance-abcde');
  const apply = entry('PATCH', '/api/v1/namespaces/mesh-conformance-abcde/services/httpbin?fieldManager=mesh-conformance&force=true', 201);
  expect(createdTwice([ns, entry('POST', '/api/v1/namespaces', 500), apply, { ...apply, status: 200 }])).toEqual([]);
  expect(createdTwice([ns, ns])).toEqual(['/api/v1/namespaces/mesh-conformance-abcde created 2 times']);
  expect(createdTwice([apply, apply])).toEqual(['/api/v1/namespaces/mesh-conformance-abcde/services/httpbin created 2 times']);
  expect(createdTwice([ns, { ...ns, created: 'mesh-conformance-fghij' }])).toEqual([]);
  expect(createdObjects([ns, apply])).toEqual(['/api/v1/namespaces/mesh-conformance-abcde', '/api/v1/namespaces/mesh-conformance-abcde/services/httpbin']);
});

test('fragments: placeholders, budgets, alternatives and … match the real shape and nothing else', () => {
  const budgets = { rollout: 20_000, assert: 10_000, http: 1_500, metrics: 30_000 };
  const message = 'WaitTimeoutError: Timed out after 20s waiting for Pod mesh-conformance-x1y2z/httpbin-5f8b89bcb7-cbs8d to be Running with 2/2 ready; last seen: phase=Running, ready=1/2';
  expect(matchesFragment(message, 'Timed out after <rollout>', budgets)).toBe(true);
  expect(matchesFragment(message, 'Timed out after <assert>', budgets)).toBe(false);
  expect(matchesFragment(message, 'Pod <ns>/<pod> to be Running', budgets)).toBe(true);
  expect(matchesFragment(message, 'last seen: …ready={1|0}/2', budgets)).toBe(true);
  expect(matchesFragment(message, 'last seen: …ready=2/2', budgets)).toBe(false);
  expect(fragmentSource('after <http> (x)', budgets)).toBe('after 1\\.5s \\(x\\)');
  expect(matchesFragment('rq_xx{code="2"} to reach', 'rq_xx{code="2"} to reach', budgets)).toBe(true);
  expect(matchesFragment('rq_xxcode="2" to reach', 'rq_xx{code="2"} to reach', budgets)).toBe(false);
});
