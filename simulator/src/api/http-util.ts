/**
 * Small HTTP helpers shared by the API server's handlers: JSON and Status answers, body reading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../cluster/types.ts';
import type { KubeObject } from '../cluster/types.ts';
import { decodeProtobufObject, protobufMediaType } from './protobuf.ts';

const maxBodyBytes = 8 * 1024 * 1024;

/** Answers a JSON document with Content-Type application/json. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

/** The Status document of an ApiError; an empty reason is left out, as kube-apiserver does. */
export function statusOf(err: ApiError): KubeObject {
  const status = err.toStatus();
  if (status.reason === '') delete status.reason;
  return status;
}

/** Answers an ApiError as a Kubernetes Status (with Retry-After when the error carries one). */
export function sendError(res: ServerResponse, err: ApiError): void {
  const retry = err.details?.retryAfterSeconds;
  sendJson(res, err.code, statusOf(err), retry !== undefined ? { 'Retry-After': String(retry) } : {});
}

/** A Status Success document, as answered by some deletes. */
export function successStatus(details: Record<string, unknown>): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** Turns anything thrown by a handler into an ApiError (unknown errors become 500 InternalError). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** Reads the raw request body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 8388608'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Reads and decodes a request body: JSON, YAML when `yaml` is set (apply patches), or the protobuf
 * that kubectl's typed clients send. Undefined for an empty body; 400 when malformed.
 */
export async function readObject(req: IncomingMessage, yaml = false): Promise<unknown> {
  const body = await readBody(req);
  if ((req.headers['content-type'] ?? '').startsWith(protobufMediaType)) return body.length === 0 ? undefined : decodeProtobufObject(body);
  return parseBody(body.toString('utf8'), yaml);
}

/** Parses a request body as JSON, or YAML when `yaml` is set; 400 when malformed. */
export function parseBody(text: string, yaml = false): unknown {
  if (text.trim() === '') return undefined;
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The standard 404 for paths that name nothing. */
export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
}
