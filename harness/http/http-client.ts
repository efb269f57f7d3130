import { undici } from './undici.ts';
import type { Dispatcher } from 'undici';

/** One request/response pair as recorded for the report. */
export interface HttpExchange {
  method: string;
  url: string;
  status: number | undefined;
  headers: Record<string, string>;
  elapsedMs: number;
  at: string;
  error?: string;
  bodyPreview?: string;
}

/** A response reduced to what checks look at. */
export interface HttpResponseSummary {
  status: number;
  headers: Record<string, string>;
  body: string;
  elapsedMs: number;
}

const keep = 50;

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * HTTP through undici that remembers the last exchanges (method, URL, status, headers, elapsed) so a
 * failing test can attach them. Use one per worker; pass a `dispatcher` (MockAgent) in unit tests.
 */
export class HttpClient {
  private readonly exchanges: HttpExchange[] = [];
  private readonly statusCounts = new Map<number, number>();

  constructor(private readonly dispatcher?: Dispatcher) {
    // undici loads on first use (./undici.ts); loading it here, at the fixture's set-up, keeps its 50–100 ms out of
    // the first request's time, which a wait's reaction counts.
    undici();
  }

  /**
   * A client on the same connections with counts and exchanges of its own: one per copy of the flow run in the same
   * worker, so each copy's metrics check compares the sidecar's counters with what that copy sent.
   */
  fork(): HttpClient {
    return new HttpClient(this.dispatcher);
  }

  /**
   * How many responses of a status class (2 for 2xx) this client received, over its whole life (not only the
   * recent exchanges): the metrics check compares sidecar counters with it.
   */
  responsesOfClass(statusClass: number): number {
    let n = 0;
    for (const [status, count] of this.statusCounts) if (Math.floor(status / 100) === statusClass) n += count;
    return n;
  }

  /** The most recent exchanges, oldest first. */
  get recent(): readonly HttpExchange[] {
    return this.exchanges;
  }

  /** Sends one request (no redirects followed, body read and kept short), bounded by `timeoutMs` and `signal`. */
  async send(method: 'GET' | 'HEAD', url: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined; host?: string | undefined; headers?: Record<string, string> | undefined }): Promise<HttpResponseSummary> {
    const started = Date.now();
    const at = new Date(started).toISOString();
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
    try {
      const res = await undici().request(url, {
        method, signal, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
        ...(opts.host || opts.headers ? { headers: { ...opts.headers, ...(opts.host ? { host: opts.host } : {}) } } : {}),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      const body = method === 'HEAD' ? '' : await res.body.text();
      if (method === 'HEAD') await res.body.dump();
      const headers = flattenHeaders(res.headers);
      const elapsedMs = Date.now() - started;
      this.record({ method, url, status: res.statusCode, headers, elapsedMs, at, ...(body ? { bodyPreview: body.slice(0, 500) } : {}) });
      return { status: res.statusCode, headers, body, elapsedMs };
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.record({ method, url, status: undefined, headers: {}, elapsedMs: Date.now() - started, at, error: message });
      throw new Error(`${method} ${url} failed after ${Date.now() - started}ms: ${message}`);
    }
  }

  private record(x: HttpExchange): void {
    if (x.status !== undefined) this.statusCounts.set(x.status, (this.statusCounts.get(x.status) ?? 0) + 1);
    this.exchanges.push(x);
    if (this.exchanges.length > keep) this.exchanges.shift();
  }
}

/** One line for an exchange, as used in observations: `GET /get → 502 (12ms)`. */
export function describeResponse(method: string, url: string, res: HttpResponseSummary): string {
  return `${method} ${new URL(url).pathname} → ${res.status} (${res.elapsedMs}ms)`;
}
