/**
 * Decodes the protobuf request bodies kubectl's typed clients send (`kubectl create namespace`,
 * `create configmap`, `create secret`, `create serviceaccount`, `auth can-i`) into JSON objects. Only those kinds:
 * everything else answers 415, and clients that send JSON (apply, client-node) never get here.
 */
import { ApiError } from '../cluster/types.ts';

/** The media type of Kubernetes protobuf bodies. */
export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'map:string' | 'map:bytes' | `msg:${string}`;
interface Field { name: string; type: FieldType; repeated?: boolean }
type Schema = Record<number, Field>;

const schemas: Record<string, Schema> = {
  ObjectMeta: {
    1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
    5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' }, 7: { name: 'generation', type: 'int' },
    8: { name: 'creationTimestamp', type: 'time' }, 11: { name: 'labels', type: 'map:string' }, 12: { name: 'annotations', type: 'map:string' },
    13: { name: 'ownerReferences', type: 'msg:OwnerReference', repeated: true }, 14: { name: 'finalizers', type: 'string', repeated: true },
  },
  OwnerReference: {
    1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
    5: { name: 'apiVersion', type: 'string' }, 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' },
  },
  LocalObjectReference: { 1: { name: 'name', type: 'string' } },
  NamespaceSpec: { 1: { name: 'finalizers', type: 'string', repeated: true } },
  Namespace: { 1: { name: 'metadata', type: 'msg:ObjectMeta' }, 2: { name: 'spec', type: 'msg:NamespaceSpec' } },
  ConfigMap: {
    1: { name: 'metadata', type: 'msg:ObjectMeta' }, 2: { name: 'data', type: 'map:string' },
    3: { name: 'binaryData', type: 'map:bytes' }, 4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', type: 'msg:ObjectMeta' }, 2: { name: 'data', type: 'map:bytes' }, 3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map:string' }, 5: { name: 'immutable', type: 'bool' },
  },
  ResourceAttributes: {
    1: { name: 'namespace', type: 'string' }, 2: { name: 'verb', type: 'string' }, 3: { name: 'group', type: 'string' },
    4: { name: 'version', type: 'string' }, 5: { name: 'resource', type: 'string' }, 6: { name: 'subresource', type: 'string' }, 7: { name: 'name', type: 'string' },
  },
  NonResourceAttributes: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } },
  SelfSubjectAccessReviewSpec: { 1: { name: 'resourceAttributes', type: 'msg:ResourceAttributes' }, 2: { name: 'nonResourceAttributes', type: 'msg:NonResourceAttributes' } },
  SelfSubjectAccessReview: { 1: { name: 'metadata', type: 'msg:ObjectMeta' }, 2: { name: 'spec', type: 'msg:SelfSubjectAccessReviewSpec' } },
  ServiceAccount: {
    1: { name: 'metadata', type: 'msg:ObjectMeta' }, 3: { name: 'imagePullSecrets', type: 'msg:LocalObjectReference', repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
};

/** The kinds whose protobuf bodies can be decoded. */
const topLevelKinds = ['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount', 'SelfSubjectAccessReview'];

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Iterates over (field number, wire type, value); skips fixed-width fields. */
  *fields(): Generator<{ no: number; value: bigint | Buffer }> {
    while (this.pos < this.end) {
      const key = Number(this.varint());
      const no = key >>> 3;
      const wire = key & 7;
      if (wire === 0) yield { no, value: this.varint() };
      else if (wire === 2) yield { no, value: this.bytes() };
      else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

function decodeMessage(buf: Buffer, schemaName: string): Record<string, unknown> {
  const schema = schemas[schemaName]!;
  const out: Record<string, unknown> = {};
  for (const { no, value } of new Reader(buf).fields()) {
    const field = schema[no];
    if (!field) continue;
    let decoded: unknown;
    if (field.type === 'map:string' || field.type === 'map:bytes') {
      let key = '';
      let val: Buffer = Buffer.alloc(0);
      for (const entry of new Reader(value as Buffer).fields()) {
        if (entry.no === 1) key = (entry.value as Buffer).toString('utf8');
        if (entry.no === 2) val = entry.value as Buffer;
      }
      const map = (out[field.name] ??= {}) as Record<string, string>;
      map[key] = field.type === 'map:string' ? val.toString('utf8') : val.toString('base64');
      continue;
    }
    switch (field.type) {
      case 'string': decoded = (value as Buffer).toString('utf8'); break;
      case 'bytes': decoded = (value as Buffer).toString('base64'); break;
      case 'int': decoded = Number(value); break;
      case 'bool': decoded = (value as bigint) !== 0n; break;
      case 'time': {
        let seconds = 0;
        for (const t of new Reader(value as Buffer).fields()) if (t.no === 1) seconds = Number(t.value);
        decoded = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        break;
      }
      default: decoded = decodeMessage(value as Buffer, field.type.slice(4));
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(decoded);
    else out[field.name] = decoded;
  }
  return out;
}

/** Decodes a `k8s\0`-prefixed protobuf body into a JSON object; 415 for kinds it does not know. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000') {
    throw new ApiError(400, 'BadRequest', 'the body of the request could not be decoded: missing protobuf magic prefix');
  }
  try {
    let apiVersion = '';
    let kind = '';
    let raw: Buffer = Buffer.alloc(0);
    for (const { no, value } of new Reader(body.subarray(4)).fields()) {
      if (no === 1) {
        for (const t of new Reader(value as Buffer).fields()) {
          if (t.no === 1) apiVersion = (t.value as Buffer).toString('utf8');
          if (t.no === 2) kind = (t.value as Buffer).toString('utf8');
        }
      } else if (no === 2) {
        raw = value as Buffer;
      }
    }
    if (!topLevelKinds.includes(kind)) {
      throw new ApiError(415, 'UnsupportedMediaType', `the simulated cluster decodes protobuf only for ${topLevelKinds.join(', ')}, not ${kind}: send application/json`);
    }
    return { apiVersion, kind, ...decodeMessage(raw, kind) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded: ${(err as Error).message}`);
  }
}
