/**
 * `migrate watch` (docs/migration.md): what continuous probes during a cutover show. Each path (a baseline probe, or an
 * ingress URL) is expected to keep its baseline outcome; a run of answers that do not is a window, from the first
 * such answer to the next one that does (or to the end of the watch, left open). For a path that was allowed, a
 * window is downtime; for one that was denied, it is an authorization gap. Answers that show they came in without
 * mTLS, probe-client outages (not counted as downtime) and pods without a sidecar are recorded beside them. Pure: the
 * probing is cli/migrate-command.ts with probe-pods.ts.
 */
import type { ProbeOutcome } from './behaviour.ts';

/** One answer of a watched path. */
export interface WatchAnswer {
  /** ms since the epoch, when the request was sent. */
  at: number;
  outcome: ProbeOutcome;
  detail: string;
  /** What the answer shows of the hop into the workload (`unknown` when nothing tells). */
  mtls: 'mtls' | 'plaintext' | 'unknown';
}

export interface WatchWindow {
  start: string;
  end: string;
  ms: number;
  /** Still failing when the watch ended. */
  open: boolean;
  requests: number;
  /** The first failing answer, in one line. */
  first: string;
}

export interface WatchedPath {
  /** The probe id (behaviour.ts probeId) or `ingress GET <url>`. */
  id: string;
  kind: 'service' | 'ingress';
  /** The namespace the path ends in ('' for an ingress URL). */
  namespace: string;
  expected: ProbeOutcome;
  requests: number;
  failed: number;
  /** Failing windows: downtime when `expected` is allowed, an authorization gap when it is denied. */
  windows: WatchWindow[];
  windowMs: number;
  plaintext: number;
  /** Answers that showed they came over mTLS (0 when the mesh that served them cannot tell). */
  mtls: number;
  /** Requests that never reached the mesh: the probe client was not there (a restart), so not downtime. */
  unobserved: number;
}

export interface PodWithoutSidecar { namespace: string; pod: string; firstSeen: string; lastSeen: string; stillThere: boolean }

/** What `migrate watch --out FILE` writes. */
export interface WatchReport {
  kind: 'MeshMigrationWatch';
  version: 1;
  startedAt: string;
  endedAt: string;
  /** Requests per second asked for, and the interval at which each path was probed (the resolution of a window). */
  rate: number;
  pathIntervalMs: number;
  stoppedBy: 'duration' | 'max-requests' | 'interrupted';
  paths: WatchedPath[];
  plaintextAnswers: { at: string; path: string; detail: string }[];
  podsWithoutSidecar: PodWithoutSidecar[];
  /** Requests not sent because as many were still waiting for an answer as the watch allows (`--rate` too high). */
  skipped: number;
  summary: {
    requests: number;
    failed: number;
    /** Summed over the paths that were allowed. */
    downtimeMs: number;
    /** Wall-clock time during which at least one path that was allowed failed (the union of their windows). */
    anyDowntimeMs: number;
    /** Requests not sent because a probe client was restarting (not downtime). */
    unobserved: number;
    longestDowntime: { path: string; ms: number } | undefined;
    authorizationGapMs: number;
    plaintext: number;
    podsStillWithoutSidecar: number;
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Folds the answers of one path into windows, in the order they were sent. */
export class PathWatch {
  private readonly answers: WatchAnswer[] = [];
  private unobserved = 0;

  constructor(readonly id: string, readonly kind: 'service' | 'ingress', readonly namespace: string, readonly expected: ProbeOutcome) {}

  private live: { failingSince: number } | undefined;

  /**
   * An answer; a path that was denied fails only when it is allowed (an error or another refusal keeps it denied).
   * Returns the change it makes to the path's live state, for the progress lines (answers arrive roughly in order;
   * the report orders them by when they were sent).
   */
  record(answer: WatchAnswer): { change: 'failing'; first: string } | { change: 'recovered'; afterMs: number } | undefined {
    this.answers.push(answer);
    if (this.failing(answer)) {
      if (this.live) return undefined;
      this.live = { failingSince: answer.at };
      return { change: 'failing', first: `${answer.outcome} (${answer.detail})` };
    }
    if (!this.live) return undefined;
    const afterMs = answer.at - this.live.failingSince;
    this.live = undefined;
    return { change: 'recovered', afterMs };
  }

  /** The probe client could not send it (its pod was restarting or gone). */
  recordUnobserved(): void {
    this.unobserved += 1;
  }

  failing(a: WatchAnswer): boolean {
    return this.expected === 'allowed' ? a.outcome !== 'allowed' : a.outcome === 'allowed';
  }

  result(endedAt: number): WatchedPath {
    const sorted = [...this.answers].sort((a, b) => a.at - b.at);
    const windows: WatchWindow[] = [];
    let open: { start: number; requests: number; first: string } | undefined;
    for (const a of sorted) {
      if (this.failing(a)) {
        if (open) open.requests += 1;
        else open = { start: a.at, requests: 1, first: `${a.outcome} (${a.detail})` };
      } else if (open) {
        windows.push({ start: iso(open.start), end: iso(a.at), ms: a.at - open.start, open: false, requests: open.requests, first: open.first });
        open = undefined;
      }
    }
    if (open) windows.push({ start: iso(open.start), end: iso(endedAt), ms: Math.max(0, endedAt - open.start), open: true, requests: open.requests, first: open.first });
    return {
      id: this.id, kind: this.kind, namespace: this.namespace, expected: this.expected,
      requests: sorted.length, failed: sorted.filter((a) => this.failing(a)).length,
      windows, windowMs: windows.reduce((s, w) => s + w.ms, 0),
      plaintext: sorted.filter((a) => a.outcome === 'allowed' && a.mtls === 'plaintext').length,
      mtls: sorted.filter((a) => a.outcome === 'allowed' && a.mtls === 'mtls').length,
      unobserved: this.unobserved,
    };
  }

  plaintextAnswers(): { at: string; path: string; detail: string }[] {
    return this.answers.filter((a) => a.outcome === 'allowed' && a.mtls === 'plaintext').map((a) => ({ at: iso(a.at), path: this.id, detail: a.detail }));
  }
}

/** Pods seen without a sidecar in the watched namespaces, by census. */
export class SidecarWatch {
  private readonly seen = new Map<string, PodWithoutSidecar>();

  /** One census: every running pod of the watched namespaces, with its sidecar (undefined: none). */
  census(at: number, pods: { namespace: string; pod: string; sidecar: string | undefined }[]): PodWithoutSidecar[] {
    const now = new Set<string>();
    const fresh: PodWithoutSidecar[] = [];
    for (const p of pods.filter((x) => !x.sidecar)) {
      const key = `${p.namespace}/${p.pod}`;
      now.add(key);
      const known = this.seen.get(key);
      if (known) Object.assign(known, { lastSeen: iso(at), stillThere: true });
      else {
        const pod = { namespace: p.namespace, pod: p.pod, firstSeen: iso(at), lastSeen: iso(at), stillThere: true };
        this.seen.set(key, pod);
        fresh.push(pod);
      }
    }
    for (const [key, p] of this.seen) if (!now.has(key)) p.stillThere = false;
    return fresh;
  }

  result(): PodWithoutSidecar[] {
    return [...this.seen.values()].sort((a, b) => `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`));
  }
}

export function watchReport(args: {
  startedAt: number; endedAt: number; rate: number; pathIntervalMs: number; stoppedBy: WatchReport['stoppedBy'];
  paths: PathWatch[]; sidecars: SidecarWatch; skipped: number;
}): WatchReport {
  const paths = args.paths.map((p) => p.result(args.endedAt));
  const allowed = paths.filter((p) => p.expected === 'allowed');
  const longest = allowed.flatMap((p) => p.windows.map((w) => ({ path: p.id, ms: w.ms }))).sort((a, b) => b.ms - a.ms)[0];
  const podsWithoutSidecar = args.sidecars.result();
  const plaintextAnswers = args.paths.flatMap((p) => p.plaintextAnswers()).sort((a, b) => a.at.localeCompare(b.at));
  return {
    kind: 'MeshMigrationWatch', version: 1, startedAt: iso(args.startedAt), endedAt: iso(args.endedAt), rate: args.rate, pathIntervalMs: args.pathIntervalMs,
    stoppedBy: args.stoppedBy, paths, plaintextAnswers, podsWithoutSidecar, skipped: args.skipped,
    summary: {
      requests: paths.reduce((s, p) => s + p.requests, 0),
      failed: paths.reduce((s, p) => s + p.failed, 0),
      downtimeMs: allowed.reduce((s, p) => s + p.windowMs, 0),
      anyDowntimeMs: unionMs(allowed.flatMap((p) => p.windows)),
      unobserved: paths.reduce((s, p) => s + p.unobserved, 0),
      longestDowntime: longest,
      authorizationGapMs: paths.filter((p) => p.expected !== 'allowed').reduce((s, p) => s + p.windowMs, 0),
      plaintext: plaintextAnswers.length,
      podsStillWithoutSidecar: podsWithoutSidecar.filter((p) => p.stillThere).length,
    },
  };
}

/**
 * The verdict: an authorization gap (a denied path answered), an answer without mTLS, a pod still without a sidecar at
 * the end, or downtime beyond `maxDowntimeMs` (any path's longest window, when given) fail it. Downtime alone is a
 * measurement: a cutover that restarts workloads has some.
 */
export function watchVerdict(report: WatchReport, maxDowntimeMs: number | undefined): string[] {
  const reasons: string[] = [];
  const gaps = report.paths.filter((x) => x.expected !== 'allowed' && x.windows.length).sort((a, b) => (a.windows[0]?.start ?? '').localeCompare(b.windows[0]?.start ?? ''));
  if (gaps.length > 3) {
    reasons.push(`authorization gap on ${gaps.length} paths that were denied before, ${seconds(report.summary.authorizationGapMs)} in all; first ${gaps[0]?.id ?? ''} at ${gaps[0]?.windows[0]?.start ?? ''}; then ${gaps.slice(1, 4).map((p) => p.id).join('; ')}; … (every path in the report)`);
  } else {
    for (const p of gaps) reasons.push(`authorization gap: ${p.id} was denied before and was answered for ${seconds(p.windowMs)} (${p.windows.length} windows, first at ${p.windows[0]?.start ?? ''})`);
  }
  if (report.summary.plaintext) {
    const first = report.plaintextAnswers[0];
    reasons.push(`${report.summary.plaintext} answers came without mTLS (first: ${first?.path ?? ''} at ${first?.at ?? ''})`);
  }
  for (const p of report.podsWithoutSidecar.filter((x) => x.stillThere)) reasons.push(`pod ${p.namespace}/${p.pod} still runs without a sidecar (since ${p.firstSeen})`);
  if (maxDowntimeMs !== undefined) {
    for (const p of report.paths.filter((x) => x.expected === 'allowed')) {
      const worst = Math.max(0, ...p.windows.map((w) => w.ms));
      if (worst > maxDowntimeMs) reasons.push(`downtime: ${p.id} failed for ${seconds(worst)} at once, more than --max-downtime ${seconds(maxDowntimeMs)}`);
    }
  }
  return reasons;
}

/** `850 ms`, `12.3 s`. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The length of the union of windows (overlaps counted once). */
function unionMs(windows: WatchWindow[]): number {
  const spans = windows.map((w) => [Date.parse(w.start), Date.parse(w.end)] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [start, end] of spans) {
    if (current && start <= current[1]) current[1] = Math.max(current[1], end);
    else {
      if (current) total += current[1] - current[0];
      current = [start, end];
    }
  }
  return total + (current ? current[1] - current[0] : 0);
}

/** The summary `migrate watch` prints on exit. */
export function watchSummary(report: WatchReport): string[] {
  const lines: string[] = [];
  const s = report.summary;
  lines.push(`watched ${report.paths.length} paths from ${report.startedAt} to ${report.endedAt} (stopped by ${report.stoppedBy}): ${s.requests} requests, ${s.failed} failed; each path probed every ${seconds(report.pathIntervalMs)}, so a window is exact to that`);
  for (const p of report.paths.filter((x) => x.windows.length)) {
    const what = p.expected === 'allowed' ? 'downtime' : 'AUTHORIZATION GAP';
    const longest = Math.max(0, ...p.windows.map((w) => w.ms));
    lines.push(`  ${p.id}: ${what} ${seconds(p.windowMs)} in ${p.windows.length} windows (longest ${seconds(longest)}${p.windows.some((w) => w.open) ? ', still failing at the end' : ''}; first answer: ${p.windows[0]?.first ?? ''})`);
  }
  if (s.unobserved) lines.push(`  ${s.unobserved} requests on ${report.paths.filter((p) => p.unobserved).length} paths not sent while their probe client restarted (not counted as downtime)`);
  lines.push(`downtime: ${seconds(s.anyDowntimeMs)} during which a path that was allowed failed (${seconds(s.downtimeMs)} summed over ${report.paths.filter((p) => p.expected === 'allowed' && p.windows.length).length} paths)${s.longestDowntime ? `; longest window ${seconds(s.longestDowntime.ms)} on ${s.longestDowntime.path}` : ''}`);
  lines.push(`authorization gaps: ${seconds(s.authorizationGapMs)}; answers without mTLS: ${s.plaintext}; pods without a sidecar: ${report.podsWithoutSidecar.length} seen, ${s.podsStillWithoutSidecar} still there${report.skipped ? `; ${report.skipped} requests skipped (too many in flight)` : ''}`);
  for (const p of report.podsWithoutSidecar) lines.push(`  pod without a sidecar: ${p.namespace}/${p.pod} from ${p.firstSeen} to ${p.lastSeen}${p.stillThere ? ' (still there)' : ''}`);
  return lines;
}
