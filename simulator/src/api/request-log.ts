/**
 * The API server's audit-like request log: an in-memory ring for diagnostics, optionally mirrored
 * to a JSONL file. Never records credentials.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname } from 'node:path';

export interface RequestLogEntry {
  time: string;
  verb: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  userAgent: string;
  /** A create (POST) that stored an object: its `namespace/name` (the path names only the collection). */
  created?: string;
}

const createdByResponse = new WeakMap<ServerResponse, string>();

/** Notes which object a POST created, so its log entry names it (generateName makes the name server-side). */
export function noteCreated(res: ServerResponse, namespace: string | undefined, name: string | undefined): void {
  if (name) createdByResponse.set(res, namespace ? `${namespace}/${name}` : name);
}

/** The object a response created, noted by noteCreated(). */
export function createdBy(res: ServerResponse): string | undefined {
  return createdByResponse.get(res);
}

/** Keeps the last `capacity` requests; call entries() to read them, oldest first. */
export class RequestLog {
  private readonly ring: RequestLogEntry[] = [];

  constructor(private readonly capacity = 2000, private readonly file?: string) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  record(entry: RequestLogEntry): void {
    this.ring.push(entry);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  entries(): RequestLogEntry[] {
    return [...this.ring];
  }
}

/** The Kubernetes verb of a request (get, list, watch, create, update, patch, delete, deletecollection). */
export function verbOf(method: string, hasName: boolean, watch: boolean): string {
  if (watch) return 'watch';
  switch (method) {
    case 'GET': return hasName ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return hasName ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}
