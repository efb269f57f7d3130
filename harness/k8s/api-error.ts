import { firstLine } from '../text.ts';

/** The request a failed API call made: method and path (with query) as sent to the API server. */
export interface ApiRequest {
  method: string;
  path: string;
}

/** Raw material of a failed call, kept out of the message and attached to the report instead. */
export interface ApiFailureDetail {
  request: string;
  code: number | undefined;
  headers: Record<string, string>;
  body: string;
  at: string;
}

/**
 * A Kubernetes API failure reduced to one line built from the Status body, e.g.
 * `POST /apis/apps/v1/namespaces/x/deployments → 409 AlreadyExists: deployments.apps "httpbin" already exists`.
 * Throw this (via `toKubeApiError`) instead of client-node's multi-line `ApiException`.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    readonly detail: ApiFailureDetail,
  ) {
    super(message);
  }
}

/**
 * A non-2xx answer of the API server as the harness's own client raises it: the status code, the body (the parsed
 * `Status` when it is JSON, else the text) and the headers, the shape of client-node's `ApiException`.
 */
export class ApiStatusError extends Error {
  override readonly name = 'ApiStatusError';
  constructor(readonly code: number, readonly body: unknown, readonly headers: Record<string, string>) {
    super(`HTTP ${code}`);
  }
}

interface ApiExceptionLike {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** True for client-node's `ApiException` (duck-typed: the class is generated and not worth importing here). */
export function isApiException(err: unknown): err is ApiExceptionLike {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'body' in err;
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (typeof body === 'object' && body !== null) return body;
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}


function stringifyBody(body: unknown): string {
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body, null, 2);
  } catch {
    return String(body);
  }
}

/**
 * Converts whatever a client-node call threw into a `KubeApiError` with a one-line message.
 * `request` is what was sent (captured by the client); `fallback` names the operation when it is unknown.
 */
export function toKubeApiError(err: unknown, request: ApiRequest | undefined, fallback: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const where = request ? `${request.method} ${request.path}` : fallback;
  const at = new Date().toISOString();
  if (isApiException(err)) {
    const status = parseStatus(err.body);
    const reason = status?.reason && status.reason !== '' ? status.reason : undefined;
    const text = status?.message ?? (typeof err.body === 'string' ? firstLine(err.body, 200) : '');
    const what = [reason, text].filter((s) => s !== undefined && s !== '').join(': ');
    const message = `${where} → ${err.code}${what ? ` ${what}` : ''}`;
    return new KubeApiError(message, err.code, reason, {
      request: where, code: err.code, headers: err.headers ?? {}, body: stringifyBody(err.body), at,
    });
  }
  const cause = err instanceof Error ? err : new Error(String(err));
  const code = (cause as { statusCode?: unknown }).statusCode;
  const numeric = typeof code === 'number' ? code : undefined;
  const message = numeric !== undefined
    ? `${where} → ${numeric} ${firstLine(cause.message, 200)}`
    : `${where} → request failed: ${firstLine(cause.message, 200)}`;
  return new KubeApiError(message, numeric, undefined, { request: where, code: numeric, headers: {}, body: cause.stack ?? cause.message, at });
}

/** Status codes (and transport failures) worth retrying within a call's budget: throttling and server hiccups. */
export function isRetryable(err: KubeApiError): boolean {
  if (err.code === undefined) return !/abort/i.test(err.message);
  return err.code === 429 || err.code === 500 || err.code === 502 || err.code === 503 || err.code === 504;
}

/** Seconds the server asked us to wait (`Retry-After`), if any. */
export function retryAfterMs(err: KubeApiError): number | undefined {
  const header = Object.entries(err.detail.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const seconds = header === undefined ? NaN : Number(header);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}
