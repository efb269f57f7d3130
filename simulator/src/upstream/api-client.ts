/**
 * A small REST client for a real kube-apiserver, as the simulator's components use it in upstream mode: JSON reads
 * and writes by ResourceType, a Status answer turned into the same ApiError the embedded store throws (so a component's
 * `error.code === 409` works in both modes), and watch streams (newline-delimited JSON events).
 */
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import type { KubeObject, ResourceType } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';

export interface ApiClientOptions {
  /** https://127.0.0.1:PORT */
  server: string;
  caPem: string;
  token: string;
  /** The User-Agent the API server's audit log and request logs show. */
  userAgent?: string;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: KubeObject };

/** `/api/v1` or `/apis/<group>/<version>`, `namespaces/<ns>/` for a namespaced kind, the plural, name and subresource. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  return `${base}${ns}/${type.plural}${tail}`;
}

/** A Status body as an ApiError (kube-apiserver's words, code, reason and details kept). */
export function apiErrorOf(status: number, body: string): ApiError {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string; reason?: string; code?: number; details?: ApiError['details'] };
    if (s.kind === 'Status') return new ApiError(s.code ?? status, s.reason ?? '', s.message ?? body, s.details);
  } catch {
    // not JSON: below
  }
  return new ApiError(status, status === 404 ? 'NotFound' : 'InternalError', body.trim() || `HTTP ${status}`);
}

export class ApiClient {
  readonly dispatcher: Agent;
  private readonly headers: Record<string, string>;

  constructor(readonly opts: ApiClientOptions) {
    this.dispatcher = new Agent({ connect: { ca: opts.caPem }, keepAliveTimeout: 30_000, connections: 64 });
    this.headers = { authorization: `Bearer ${opts.token}`, accept: 'application/json', 'user-agent': opts.userAgent ?? 'mesh-conformance-simulator' };
  }

  /** A JSON request; resolves with the parsed body, rejects with an ApiError for any answer >= 400. */
  async json<T = KubeObject>(method: Dispatcher.HttpMethod, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await request(`${this.opts.server}${path}`, {
      method, dispatcher: this.dispatcher,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: 60_000, bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw apiErrorOf(res.statusCode, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * Opens a watch and calls `onEvent` per event until the stream ends (resolves), the signal aborts (resolves) or the
   * request fails (rejects with an ApiError: 410 when the resourceVersion is too old).
   */
  async watch(path: string, query: Record<string, string>, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const qs = new URLSearchParams({ ...query, watch: '1' }).toString();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.opts.server}${path}?${qs}`, { method: 'GET', dispatcher: this.dispatcher, headers: this.headers, signal, headersTimeout: 60_000, bodyTimeout: 0 });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (res.statusCode >= 400) throw apiErrorOf(res.statusCode, await res.body.text());
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
