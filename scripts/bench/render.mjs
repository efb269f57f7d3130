// The Markdown tables of a benchmark report (results.json → results.md, and the figures quoted in BENCHMARKS.md).

/** @param {number | null | undefined} x */
const ms = (x) => (x === null || x === undefined ? 'n/a' : `${Math.round(x)}`);
/** @param {Record<string, number>} byVerb */
const verbs = (byVerb) => Object.entries(byVerb).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`).join(', ');
/** @param {boolean} b */
const yes = (b) => (b ? 'met' : '**missed**');

/**
 * Renders the report as Markdown.
 * @param {import('../bench.mjs').BenchReport} report
 * @returns {string}
 */
export function renderMarkdown(report) {
  const { machine, targets, runs } = report;
  const lines = [];
  lines.push(`Benchmark of ${machine.date} on ${machine.cpus}, ${machine.memoryGb} GB, Node ${machine.node}; load average ${machine.loadavgAtStart} at start, ${machine.loadavgAtEnd} at end.`);
  lines.push('');
  lines.push('### Time to verdict');
  lines.push('');
  lines.push('| run | result | wall (ms) | floor (ms) | overhead (ms) | overhead / floor | runner start-up (ms): load + workers | checks (ms) | after checks (ms) | overhead after start-up / floor | pod: unmodelled cluster work (ms) | harness peak RSS (MB) | command incl. simulator (ms) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const result = r.summary ? `${r.summary.passed} passed, ${r.summary.failed} failed` : `exit ${r.exitCode}`;
    lines.push(`| ${r.name} | ${result} | ${ms(r.wallMs)} | ${ms(r.floorMs)} | ${ms(r.overheadMs)} | ${r.overheadRatio ?? 'n/a'} | ${ms(r.phases?.startupMs)} (${ms(r.phases?.runnerLoadMs)} + ${ms(r.phases?.workerStartMs)}) | ${ms(r.phases?.checksMs)} | ${ms(r.phases?.afterChecksMs)} | ${r.overheadAfterStartupRatio ?? 'n/a'} | ${ms(r.podUnmodelledMs)} | ${r.memory.peakHarnessMb} | ${ms(r.totalCommandMs)} |`);
  }
  lines.push('');
  lines.push(`Peak RSS by process: ${runs.map((r) => `${r.name}: ${r.memory.atPeakMb}`).join('; ')}.`);
  lines.push('');
  const head = runs.find((r) => r.poller) ?? runs.find((r) => r.namespaces === 1 && r.timings === report.preset);
  if (head) {
    lines.push(`Floor of ${head.name}: ${Object.entries(head.floorParts).map(([k, v]) => `${k} ${Math.round(v)}`).join(' + ')} ms.`);
    lines.push('');
    lines.push(`### Reaction latency (${head.name}): harness vs a 1 s polling loop in the same run`);
    lines.push('');
    lines.push('| wait | harness p50 | harness p95 | harness max | 1 s poller p50 | 1 s poller p95 | 1 s poller max |');
    lines.push('|---|---|---|---|---|---|---|');
    const waits = new Set([...Object.keys(head.reaction.byWait), ...Object.keys(head.poller?.reaction.byWait ?? {})]);
    for (const w of waits) {
      const h = head.reaction.byWait[w];
      const p = head.poller?.reaction.byWait[w];
      lines.push(`| ${w} | ${ms(h?.p50)} | ${ms(h?.p95)} | ${ms(h?.max)} | ${ms(p?.p50)} | ${ms(p?.p95)} | ${ms(p?.max)} |`);
    }
    lines.push(`| **all waits** | ${ms(head.reaction.all.p50)} | ${ms(head.reaction.all.p95)} | ${ms(head.reaction.all.max)} | ${ms(head.poller?.reaction.all.p50)} | ${ms(head.poller?.reaction.all.p95)} | ${ms(head.poller?.reaction.all.max)} |`);
    lines.push(`| watch- and HTTP-driven waits | ${ms(head.reaction.watchDriven.p50)} | ${ms(head.reaction.watchDriven.p95)} | ${ms(head.reaction.watchDriven.max)} | | | |`);
    lines.push('');
    if (head.poller) {
      lines.push(`The 1 s poller made ${head.poller.apiRequests} API requests over the run (the harness: ${head.api.total}, ${head.api.watchStreams} of them watch streams). `
        + `${head.poller.httpVerdictAfterFirst200Ms !== null ? `OSM e2e's HTTP rule (five 200s one second apart) took it ${ms(head.poller.httpVerdictAfterFirst200Ms)} ms after its first 200` : 'It never reached the verdict of OSM e2e\'s HTTP rule (five 200s one second apart): the harness had finished and deleted the namespace first'}. `
        + `The same run with 1 s polling for the four sequential waits and that HTTP rule would take about ${ms(head.poller.estimatedWallMs)} ms instead of ${ms(head.wallMs)} ms.`);
      lines.push('');
    }
  }
  lines.push('### API cost and scale');
  lines.push('');
  lines.push('| run | namespaces | wall (ms) | floor (ms) | wall / wall of 1 | requests | per namespace | core flow per namespace | watch streams | by verb |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const base = runs.find((x) => x.namespaces === 1 && x.timings === r.timings);
    const ratio = base?.wallMs && r.wallMs ? (r.wallMs / base.wallMs).toFixed(2) : 'n/a';
    lines.push(`| ${r.name} | ${r.namespaces} | ${ms(r.wallMs)} | ${ms(r.floorMs)} | ${ratio} | ${r.api.total} | ${r.api.perNamespace ?? 'n/a'} | ${r.api.corePerNamespace ?? 'n/a'} | ${r.api.watchStreams} | ${verbs(r.api.byVerb)} |`);
  }
  lines.push('');
  lines.push('### Targets (realistic preset)');
  lines.push('');
  lines.push('| target | value | verdict |');
  lines.push('|---|---|---|');
  lines.push(`| overhead ${targets.overhead.target} | ${targets.overhead.value ?? 'n/a'} | ${yes(targets.overhead.met)} |`);
  lines.push(`| reaction p95 ${targets.reactionP95.target} | ${ms(targets.reactionP95.value)} ms (watch- and HTTP-driven waits: ${ms(targets.reactionP95.watchDrivenP95)} ms) | ${yes(targets.reactionP95.met)} |`);
  lines.push(`| ${targets.scale.target} | ${targets.scale.value ?? 'n/a'}x | ${yes(targets.scale.met)} |`);
  if (targets.scale50) lines.push(`| ${targets.scale50.target} | ${targets.scale50.value ?? 'n/a'}x | ${targets.scale50.value === null ? 'not run' : yes(targets.scale50.met)} |`);
  lines.push(`| harness peak RSS ${targets.rss1.target} | ${targets.rss1.value ?? 'n/a'} MB | ${yes(targets.rss1.met)} |`);
  lines.push(`| harness peak RSS ${targets.rss20.target} | ${targets.rss20.value ?? 'n/a'} MB | ${yes(targets.rss20.met)} |`);
  lines.push(`| ${targets.requestsPerNamespace.target} | ${targets.requestsPerNamespace.value ?? 'n/a'}${targets.requestsPerNamespace.core ? ` (core flow without the extended checks: ${targets.requestsPerNamespace.core})` : ''} | ${yes(targets.requestsPerNamespace.met)} |`);
  const fv = targets.failVerdict;
  lines.push(`| time to verdict on a broken cluster ${fv?.target ?? ''} | ${fv?.value === null || fv?.value === undefined ? 'n/a' : `${ms(fv.value)} ms`}${fv?.missing?.length ? ` (no verdict after the condition: ${fv.missing.join(', ')})` : ''} | ${fv ? yes(fv.met) : 'n/a'} |`);
  if (report.verdicts?.length) {
    lines.push('');
    lines.push('### Time to verdict per terminal fault');
    lines.push('');
    lines.push('| fault | exit | ms from observable to verdict | condition the simulator logged | the wait that failed |');
    lines.push('|---|---|---|---|---|');
    for (const v of report.verdicts) lines.push(`| ${v.fault}${v.mesh === 'osm' ? '' : ` (${v.mesh})`} | ${v.exitCode} | ${v.ms === null ? 'n/a' : ms(v.ms)} | ${v.condition ?? 'none'} | ${v.outcome ? `${v.outcome}: ` : ''}${(v.wait ?? 'none').replaceAll('|', '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}
