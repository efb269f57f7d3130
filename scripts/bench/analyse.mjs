// Pure analysis of one benchmark run: the simulator's condition log, the harness's timing log, the API request log
// and the 1 s poller's observations in, figures out. No I/O here (scripts/bench.mjs reads the files).

/**
 * The log lines, as read back from JSONL (simulator/src/condition-log.ts, harness/wait/timing-log.ts,
 * simulator/src/api/request-log.ts, scripts/bench/poller.mjs).
 * @typedef {{ t: number, type: string, name: string, namespace: string, object?: string, ms?: number }} ConditionEntry
 *   `type` is 'condition' or 'delay'; `ms` is set on delays only
 * @typedef {{ kind: string, description: string, startedAt: number, endedAt: number, outcome: string, firstOkAt?: number }} WaitTiming
 *   `kind` is 'wait' or 'consecutive'
 * @typedef {{ time?: string, verb: string, userAgent?: string }} RequestEntry
 * @typedef {'pod-ready' | 'ingress-address' | 'http-502' | 'ingressbackend-committed' | 'http-200' | 'namespace-gone'} WaitName
 *   the awaited conditions with a time in the condition log
 * @typedef {{ t: number, namespace: string, wait: string, requests?: number }} Observation
 * @typedef {{ wait: string, namespace: string, ms: number }} Reaction
 * @typedef {{ n: number, p50: number | null, p95: number | null, max: number | null }} Summary
 */

/**
 * Reads JSONL text into objects, skipping blank or torn lines.
 * @param {string} text
 * @returns {any[]}
 */
export function parseJsonl(text) {
  /** @type {any[]} */
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut by a killed writer
    }
  }
  return out;
}

/**
 * p-th percentile (nearest rank) of numbers; undefined for none.
 * @param {number[]} values
 * @param {number} p
 * @returns {number | undefined}
 */
export function percentile(values, p) {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * `{ n, p50, p95, max }` rounded to 0.1 ms.
 * @param {number[]} values
 * @returns {Summary}
 */
export function summarize(values) {
  /** @param {number | undefined} x */
  const r = (x) => (x === undefined ? null : Math.round(x * 10) / 10);
  return { n: values.length, p50: r(percentile(values, 50)), p95: r(percentile(values, 95)), max: r(values.length ? Math.max(...values) : undefined) };
}

/**
 * Which simulator condition a harness wait awaits, from its description; undefined for waits with no counterpart.
 * `at` is when the harness saw the condition: the end of a wait, the first success of a consecutive one.
 * @param {{ description: string }} w
 * @returns {WaitName | 'metrics' | undefined}
 */
export function classifyWait(w) {
  const d = w.description;
  if (/^Pod \S+ to be Running/.test(d)) return 'pod-ready';
  if (/^Ingress \S+ to have an address/.test(d)) return 'ingress-address';
  if (/to return 502/.test(d)) return 'http-502';
  if (/^IngressBackend \S+ to be committed/.test(d)) return 'ingressbackend-committed';
  if (/to return 200/.test(d)) return 'http-200';
  if (/^Namespace \S+ to be deleted/.test(d)) return 'namespace-gone';
  if (/scrape target|envoy_server_live|envoy_cluster_upstream_rq/.test(d)) return 'metrics';
  return undefined;
}

/** Waits counted once per namespace, in the core flow: the condition log records the first commit of a policy only. */
const coreFlowOnly = ['http-502', 'ingressbackend-committed', 'http-200'];

/** The waits driven by a watch or by HTTP attempts (the reaction target applies); metrics are polled from Prometheus. */
export const watchDrivenWaits = ['pod-ready', 'ingress-address', 'http-502', 'ingressbackend-committed', 'http-200', 'namespace-gone'];

/**
 * The run namespace a description names, among the known ones.
 * @param {string} description
 * @param {string[]} namespaces
 * @returns {string | undefined}
 */
function namespaceIn(description, namespaces) {
  return namespaces.find((ns) => description.includes(`${ns}/`) || description.includes(`${ns}.`) || description.includes(`${ns} `) || description.endsWith(ns));
}

/**
 * When each awaited condition became true per namespace, from the condition log. `http-200` is possible once the
 * pod is Ready, the Ingress has its address and the IngressBackend is committed (the mesh's contract: the status
 * says the policy is programmed); `http-502` once the address is published.
 * @param {ConditionEntry[]} conditions
 * @param {string} namespace
 * @param {string} [pod] the pod whose readiness counts (by default the namespace's first pod to become ready)
 */
export function conditionTimes(conditions, namespace, pod) {
  /** @param {string} name @param {number} [after] @param {string} [object] */
  const first = (name, after = -Infinity, object = undefined) => conditions.find((c) => c.type === 'condition' && c.namespace === namespace && c.name === name && c.t >= after && (object === undefined || c.object === object))?.t;
  const podReady = first('pod-ready', -Infinity, pod);
  const address = first('ingress-address');
  const committed = first('ingressbackend-committed');
  return {
    'pod-ready': podReady,
    'ingress-address': address,
    'http-502': address,
    'ingressbackend-committed': committed,
    'http-200': podReady !== undefined && address !== undefined && committed !== undefined ? Math.max(podReady, address, committed) : undefined,
    'namespace-gone': first('namespace-gone'),
    scrapeAfter: (/** @type {number} */ t) => first('metrics-scraped', t),
  };
}

/**
 * The floor of one namespace's flow: every modelled delay the simulator applied to it (they are sequential on the
 * critical path: the pod's pulls and starts one after another, then the address, then the status), plus the wait
 * for the first scrape after the traffic when the metrics check ran.
 * @param {ConditionEntry[]} conditions
 * @param {string} namespace
 * @param {number} [httpEndedAt]
 * @returns {{ totalMs: number, parts: Record<string, number> }}
 */
export function flowFloor(conditions, namespace, httpEndedAt) {
  /** @type {Record<string, number>} */
  const parts = {};
  // A delay scheduled but not waited out (the namespace controller requeues after its own status write, and the
  // namespace is gone first) is on no critical path: each delay counts up to the namespace's end.
  const gone = conditionTimes(conditions, namespace)['namespace-gone'] ?? Infinity;
  for (const c of conditions) {
    if (c.type !== 'delay' || c.namespace !== namespace) continue;
    const ms = Math.min(/** @type {number} */ (c.ms), Math.max(0, gone - c.t));
    parts[c.name] = Math.round(((parts[c.name] ?? 0) + ms) * 10) / 10;
  }
  if (httpEndedAt !== undefined) {
    const scrape = conditionTimes(conditions, namespace).scrapeAfter(httpEndedAt);
    if (scrape !== undefined) parts.scrapeWait = Math.round((scrape - httpEndedAt) * 10) / 10;
  }
  return { totalMs: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/**
 * Unmodelled cluster work on the pod's path: pod Ready − its first modelled delay − the sum of its delays.
 * @param {ConditionEntry[]} conditions
 * @param {string} namespace
 * @returns {number | undefined}
 */
export function podUnmodelledMs(conditions, namespace) {
  // The flow's pod is the first to become ready (httpbin); the extended checks' pods come later, with delays of their own.
  const pod = conditions.find((c) => c.type === 'condition' && c.namespace === namespace && c.name === 'pod-ready')?.object;
  const delays = conditions.filter((c) => c.type === 'delay' && c.namespace === namespace && c.object === pod && ['imagePull', 'containerStart', 'initContainerRun', 'sidecarReady'].includes(c.name));
  const ready = conditionTimes(conditions, namespace, pod)['pod-ready'];
  if (!delays.length || ready === undefined) return undefined;
  return ready - /** @type {ConditionEntry} */ (delays[0]).t - delays.reduce((a, c) => a + /** @type {number} */ (c.ms), 0);
}

/**
 * Reaction latency of each harness wait: the moment the harness saw the condition (end of the wait; first success
 * of a consecutive wait) minus the later of (condition became true, wait began), since a wait cannot react to what
 * happened before it started.
 * @param {WaitTiming[]} timings
 * @param {ConditionEntry[]} conditions
 * @param {string[]} namespaces
 * @returns {Reaction[]}
 */
export function harnessReactions(timings, conditions, namespaces) {
  /** @type {Reaction[]} */
  const out = [];
  const seen = new Set();
  for (const w of timings) {
    const kind = classifyWait(w);
    const ns = namespaceIn(w.description, namespaces);
    if (!kind || !ns || w.outcome !== 'done') continue;
    // The core flow's HTTP and IngressBackend waits come first in a namespace. Later ones (the extended checks'
    // mTLS switch, its plain-HTTP refusal) await a changed policy whose moment the condition log does not record.
    if (coreFlowOnly.includes(kind)) {
      if (seen.has(`${ns} ${kind}`)) continue;
      seen.add(`${ns} ${kind}`);
    }
    // A pod wait is paired with that pod's readiness (the namespace also holds the extended checks' pods).
    const times = conditionTimes(conditions, ns, kind === 'pod-ready' ? /^Pod [^/\s]+\/(\S+) /.exec(w.description)?.[1] : undefined);
    let became;
    if (kind === 'metrics') {
      const httpEnd = timings.find((x) => classifyWait(x) === 'http-200' && namespaceIn(x.description, namespaces) === ns)?.endedAt;
      // target up / live gauge: any scrape after the pod was Ready; the counters: the first scrape after the traffic.
      became = /envoy_cluster_upstream_rq/.test(w.description) && httpEnd !== undefined ? times.scrapeAfter(httpEnd) : times.scrapeAfter(times['pod-ready'] ?? 0);
    } else became = times[kind];
    if (became === undefined) continue;
    const at = w.kind === 'consecutive' ? w.firstOkAt : w.endedAt;
    if (at === undefined) continue;
    out.push({ wait: kind, namespace: ns, ms: Math.round((at - Math.max(became, w.startedAt)) * 10) / 10 });
  }
  return out;
}

/**
 * Reaction latency of the 1 s poller: when it first saw each condition minus when the condition became true.
 * @param {Observation[]} observations
 * @param {ConditionEntry[]} conditions
 * @returns {Reaction[]}
 */
export function pollerReactions(observations, conditions) {
  /** @type {Reaction[]} */
  const out = [];
  for (const o of observations) {
    if (!o.namespace || o.wait === 'http-200-verdict') continue;
    const became = conditionTimes(conditions, o.namespace)[/** @type {WaitName} */ (o.wait)];
    if (became === undefined) continue;
    out.push({ wait: o.wait, namespace: o.namespace, ms: Math.round((o.t - became) * 10) / 10 });
  }
  return out;
}

/**
 * API requests by verb and the number of watch streams, for requests not made by the given user agents.
 * @param {RequestEntry[]} requests
 * @param {string[]} [excludeAgents]
 * @returns {{ total: number, byVerb: Record<string, number>, watchStreams: number }}
 */
export function apiCost(requests, excludeAgents = []) {
  const mine = requests.filter((r) => !excludeAgents.some((a) => (r.userAgent ?? '').startsWith(a)));
  /** @type {Record<string, number>} */
  const byVerb = {};
  for (const r of mine) byVerb[r.verb] = (byVerb[r.verb] ?? 0) + 1;
  return { total: mine.length, byVerb, watchStreams: byVerb.watch ?? 0 };
}

/**
 * API requests per check: each request counts for the check whose test was running when it was made (Playwright's
 * JSON report gives each test's start and duration); `outside` holds the rest (pre-flight, fixtures before the first
 * check, cleanup after the last).
 * @param {RequestEntry[]} requests
 * @param {{ check: string, start: number, end: number }[]} windows
 * @returns {Record<string, number>}
 */
export function requestsByCheck(requests, windows) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const r of requests) {
    const t = Date.parse(r.time ?? '');
    const check = windows.find((w) => t >= w.start && t <= w.end)?.check ?? 'outside';
    out[check] = (out[check] ?? 0) + 1;
  }
  return out;
}

/**
 * The run namespaces: those the harness's waits name that the simulator also logged.
 * @param {WaitTiming[]} timings
 * @param {ConditionEntry[]} conditions
 * @returns {string[]}
 */
export function runNamespaces(timings, conditions, prefix = 'mesh-conformance-') {
  const logged = new Set(conditions.map((c) => c.namespace).filter((n) => n.startsWith(prefix)));
  /** @type {Set<string>} */
  const named = new Set();
  for (const w of timings) for (const m of w.description.matchAll(new RegExp(`${prefix}[a-z0-9]+`, 'g'))) if (logged.has(m[0])) named.add(m[0]);
  return [...named];
}

/** The simulator's terminal conditions (condition-log.ts): a fault a check must report at once. */
export const terminalConditions = ['pod-terminal', 'failed-create', 'ingressbackend-error', 'route-backend-not-found', 'principal-refused'];

/**
 * Time to verdict on a broken cluster (issue 17): from the first terminal condition the simulator logged in the run's
 * namespace to the end of the first wait on that namespace that then failed. Undefined parts when the run saw no such
 * condition or no wait failed after it.
 * @param {{ t: number, type: string, name: string, namespace?: string }[]} conditions
 * @param {{ endedAt: number, outcome: string, description: string }[]} timings
 * @returns {{ observableAt: number | undefined, verdictAt: number | undefined, ms: number | undefined, condition: string | undefined, wait: string | undefined, outcome: string | undefined }}
 */
export function timeToVerdict(conditions, timings) {
  const terminal = conditions.filter((c) => c.type === 'condition' && terminalConditions.includes(c.name)).sort((a, b) => a.t - b.t);
  // A condition counts for the wait that names its namespace (`<ns>/…`, or a host `<ns>.…`): a fault that also breaks
  // the cluster's own pods (every node arm64: OPA's pod is unschedulable too) makes conditions the run never waits on.
  /** @type {(w: { description?: string }, c: { t: number, namespace?: string }) => boolean} */
  const names = (w, c) => typeof c.namespace === 'string' && new RegExp(`(^|[^a-z0-9-])${c.namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[/.]`).test(w.description ?? '');
  const failed = timings.filter((w) => w.outcome !== 'done').sort((a, b) => a.endedAt - b.endedAt)
    .find((w) => terminal.some((c) => c.t <= w.endedAt && names(w, c)));
  const first = failed ? terminal.find((c) => c.t <= failed.endedAt && names(failed, c)) : undefined;
  return {
    observableAt: first?.t, verdictAt: failed?.endedAt, ms: first && failed ? failed.endedAt - first.t : undefined,
    condition: first?.name, wait: failed?.description, outcome: failed?.outcome,
  };
}
