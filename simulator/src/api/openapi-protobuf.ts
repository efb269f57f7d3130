/**
 * OpenAPI v2 as kube-apiserver serves it to `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
 * (kubectl 1.27/1.28 and client-go's `DiscoveryClient.OpenAPISchema`, which never asks for JSON): the Swagger
 * document encoded as gnostic's `openapi.v2.Document` message (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto),
 * the way kube-openapi's handler does it (`ToProtoBinary`: gnostic's `ParseDocument`, then `proto.Marshal`).
 * Fields are written in field-number order and JSON objects in their key order, as Go's marshaller does; free-form
 * values (`default`, `enum`, `example`, `x-*` extensions) are gnostic `Any` messages holding the value as YAML, in
 * go-yaml v3's style (yamlOf).
 */

type Json = unknown;
type Obj = Record<string, Json>;

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A protobuf message under construction; fields must be written in field-number order. */
class Message {
  private readonly parts: Buffer[] = [];

  private tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }

  private varint(value: number): void {
    const bytes: number[] = [];
    let v = BigInt(Math.trunc(value));
    if (v < 0n) v += 1n << 64n;
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.parts.push(Buffer.from(bytes));
  }

  private lengthDelimited(no: number, payload: Buffer): void {
    this.tag(no, 2);
    this.varint(payload.length);
    this.parts.push(payload);
  }

  string(no: number, value: Json): this {
    if (typeof value === 'string' && value !== '') this.lengthDelimited(no, Buffer.from(value, 'utf8'));
    return this;
  }

  strings(no: number, value: Json): this {
    if (Array.isArray(value)) for (const s of value) if (typeof s === 'string') this.lengthDelimited(no, Buffer.from(s, 'utf8'));
    return this;
  }

  bool(no: number, value: Json): this {
    if (value === true) {
      this.tag(no, 0);
      this.varint(1);
    }
    return this;
  }

  int(no: number, value: Json): this {
    if (typeof value === 'number' && value !== 0) {
      this.tag(no, 0);
      this.varint(value);
    }
    return this;
  }

  double(no: number, value: Json): this {
    if (typeof value === 'number' && value !== 0) {
      this.tag(no, 1);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(value);
      this.parts.push(b);
    }
    return this;
  }

  message(no: number, value: Message | undefined): this {
    if (value) this.lengthDelimited(no, value.bytes());
    return this;
  }

  messages(no: number, values: Message[]): this {
    for (const v of values) this.message(no, v);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---- YAML of free-form values, as go-yaml v3 marshals them (4-space indent, sequences indented in mappings) ----

/** Plain scalars that YAML 1.2 (go-yaml v3's resolver) would read as something other than a string. */
const resolvesToOtherTag = /^(?:|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** Whether go-yaml's emitter may write the string plain (its scalar analysis, for the characters specs use). */
function plainAllowed(s: string): boolean {
  if (/^[\s#,[\]{}&*!|>'"%@`]/.test(s) || /\s$/.test(s)) return false;
  if (/^[-?:](?:\s|$)/.test(s)) return false;
  if (/:(?:\s|$)/.test(s) || / #/.test(s)) return false;
  return !/[\n\t\r]/.test(s);
}

function yamlScalar(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  // A string that would read back as another type is double-quoted; one the emitter cannot write plain is
  // single-quoted when it has no line breaks or control characters, else double-quoted (go-yaml v3 encode.go).
  if (resolvesToOtherTag.test(s)) return JSON.stringify(s);
  if (plainAllowed(s)) return s;
  // eslint-disable-next-line no-control-regex
  if (!/[\n\r\t\u0000-\u001f]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

function yamlLines(value: Json, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item) => {
      const inner = yamlLines(item, indent + 2);
      const first = inner[0]!.slice(indent + 2);
      return [`${pad}- ${first}`, ...inner.slice(1)];
    });
  }
  if (isObj(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([k, v]) => {
      const key = yamlScalar(k);
      // Nested collections align to multiples of the 4-space indent (go-yaml v3's yaml_emitter_increase_indent).
      if ((Array.isArray(v) && v.length > 0) || (isObj(v) && Object.keys(v).length > 0)) return [`${pad}${key}:`, ...yamlLines(v, 4 * Math.floor((indent + 4) / 4))];
      return [`${pad}${key}: ${yamlLines(v, 0)[0]}`];
    });
  }
  return [`${pad}${yamlScalar(value)}`];
}

/** A JSON value as go-yaml v3 writes it (what gnostic keeps in `Any.yaml`); JSON would parse too, this matches upstream's bytes. */
export function yamlOf(value: Json): string {
  return `${yamlLines(value, 0).join('\n')}\n`;
}

// ---- the gnostic OpenAPIv2 messages ----

function any(value: Json): Message | undefined {
  return value === undefined ? undefined : new Message().string(2, yamlOf(value));
}

function namedAny(name: string, value: Json): Message {
  return new Message().string(1, name).message(2, any(value));
}

function extensions(obj: Obj): Message[] {
  return Object.entries(obj).filter(([k]) => k.startsWith('x-')).map(([k, v]) => namedAny(k, v));
}

function externalDocs(v: Json): Message | undefined {
  if (!isObj(v)) return undefined;
  return new Message().string(1, v.description).string(2, v.url).messages(3, extensions(v));
}

function schema(s: Json): Message | undefined {
  if (!isObj(s)) return undefined;
  const m = new Message()
    .string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description)
    .message(5, any(s.default))
    .double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum).bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern).int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems)
    .int(17, s.maxProperties).int(18, s.minProperties).strings(19, s.required)
    .messages(20, Array.isArray(s.enum) ? s.enum.map((e) => any(e)!) : []);
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    m.message(21, typeof ap === 'boolean' ? new Message().bool(2, ap) : new Message().message(1, schema(ap)));
  }
  if (s.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) m.message(23, new Message().messages(1, (Array.isArray(s.items) ? s.items : [s.items]).map((i) => schema(i) ?? new Message())));
  m.messages(24, Array.isArray(s.allOf) ? s.allOf.map((a) => schema(a) ?? new Message()) : []);
  if (isObj(s.properties)) m.message(25, new Message().messages(1, Object.entries(s.properties).map(([k, v]) => new Message().string(1, k).message(2, schema(v)))));
  m.string(26, s.discriminator).bool(27, s.readOnly);
  if (isObj(s.xml)) {
    const x = s.xml;
    m.message(28, new Message().string(1, x.name).string(2, x.namespace).string(3, x.prefix).bool(4, x.attribute).bool(5, x.wrapped).messages(6, extensions(x)));
  }
  return m.message(29, externalDocs(s.externalDocs)).message(30, any(s.example)).messages(31, extensions(s));
}

function primitivesItems(p: Json): Message | undefined {
  if (!isObj(p)) return undefined;
  return new Message()
    .string(1, p.type).string(2, p.format).message(3, primitivesItems(p.items)).string(4, p.collectionFormat).message(5, any(p.default))
    .double(6, p.maximum).bool(7, p.exclusiveMaximum).double(8, p.minimum).bool(9, p.exclusiveMinimum).int(10, p.maxLength).int(11, p.minLength)
    .string(12, p.pattern).int(13, p.maxItems).int(14, p.minItems).bool(15, p.uniqueItems)
    .messages(16, Array.isArray(p.enum) ? p.enum.map((e) => any(e)!) : []).double(17, p.multipleOf).messages(18, extensions(p));
}

/** The validation keywords of a non-body parameter, from field number `first` on (their order is the same in all four kinds). */
function parameterValidations(m: Message, p: Obj, first: number): Message {
  return m.message(first, any(p.default))
    .double(first + 1, p.maximum).bool(first + 2, p.exclusiveMaximum).double(first + 3, p.minimum).bool(first + 4, p.exclusiveMinimum)
    .int(first + 5, p.maxLength).int(first + 6, p.minLength).string(first + 7, p.pattern).int(first + 8, p.maxItems).int(first + 9, p.minItems)
    .bool(first + 10, p.uniqueItems).messages(first + 11, Array.isArray(p.enum) ? p.enum.map((e) => any(e)!) : [])
    .double(first + 12, p.multipleOf).messages(first + 13, extensions(p));
}

function parameter(p: Obj): Message {
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema)).messages(6, extensions(p));
    return new Message().message(1, body);
  }
  let sub: Message;
  let which: number;
  if (p.in === 'query' || p.in === 'formData') {
    // QueryParameterSubSchema / FormDataParameterSubSchema: required, in, description, name, allowEmptyValue, type, format, items, collectionFormat, ...
    sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).bool(5, p.allowEmptyValue)
      .string(6, p.type).string(7, p.format).message(8, primitivesItems(p.items)).string(9, p.collectionFormat);
    parameterValidations(sub, p, 10);
    which = p.in === 'query' ? 3 : 2;
  } else {
    // PathParameterSubSchema / HeaderParameterSubSchema: required, in, description, name, type, format, items, collectionFormat, ...
    sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name)
      .string(5, p.type).string(6, p.format).message(7, primitivesItems(p.items)).string(8, p.collectionFormat);
    parameterValidations(sub, p, 9);
    which = p.in === 'path' ? 4 : 1;
  }
  return new Message().message(2, new Message().message(which, sub));
}

function jsonReference(r: Obj): Message {
  return new Message().string(1, r.$ref).string(2, r.description);
}

function parametersItem(p: Json): Message {
  if (!isObj(p)) return new Message();
  if (typeof p.$ref === 'string') return new Message().message(2, jsonReference(p));
  return new Message().message(1, parameter(p));
}

function response(r: Obj): Message {
  const m = new Message().string(1, r.description);
  if (isObj(r.schema)) {
    const fileSchema = r.schema.type === 'file';
    m.message(2, fileSchema ? new Message().message(2, new Message().string(1, r.schema.format).string(3, r.schema.description).string(6, r.schema.type)) : new Message().message(1, schema(r.schema)));
  }
  if (isObj(r.headers)) {
    m.message(3, new Message().messages(1, Object.entries(r.headers).map(([k, h]) => new Message().string(1, k).message(2, isObj(h)
      ? new Message().string(1, h.type).string(2, h.format).message(3, primitivesItems(h.items)).string(4, h.collectionFormat).string(18, h.description)
      : undefined))));
  }
  if (isObj(r.examples)) m.message(4, new Message().messages(1, Object.entries(r.examples).map(([k, v]) => namedAny(k, v))));
  return m.messages(5, extensions(r));
}

function responseValue(r: Json): Message {
  if (!isObj(r)) return new Message();
  if (typeof r.$ref === 'string') return new Message().message(2, jsonReference(r));
  return new Message().message(1, response(r));
}

function operation(o: Json): Message | undefined {
  if (!isObj(o)) return undefined;
  const responses = isObj(o.responses) ? o.responses : {};
  return new Message()
    .strings(1, o.tags).string(2, o.summary).string(3, o.description).message(4, externalDocs(o.externalDocs)).string(5, o.operationId)
    .strings(6, o.produces).strings(7, o.consumes)
    .messages(8, Array.isArray(o.parameters) ? o.parameters.map(parametersItem) : [])
    .message(9, o.responses === undefined ? undefined : new Message()
      .messages(1, Object.entries(responses).filter(([k]) => !k.startsWith('x-')).map(([k, v]) => new Message().string(1, k).message(2, responseValue(v))))
      .messages(2, extensions(responses)))
    .strings(10, o.schemes).bool(11, o.deprecated)
    .messages(12, Array.isArray(o.security) ? o.security.map(securityRequirement) : [])
    .messages(13, extensions(o));
}

function pathItem(p: Json): Message {
  if (!isObj(p)) return new Message();
  return new Message().string(1, p.$ref)
    .message(2, operation(p.get)).message(3, operation(p.put)).message(4, operation(p.post)).message(5, operation(p.delete))
    .message(6, operation(p.options)).message(7, operation(p.head)).message(8, operation(p.patch))
    .messages(9, Array.isArray(p.parameters) ? p.parameters.map(parametersItem) : [])
    .messages(10, extensions(p));
}

function securityRequirement(r: Json): Message {
  if (!isObj(r)) return new Message();
  return new Message().messages(1, Object.entries(r).map(([k, v]) => new Message().string(1, k).message(2, new Message().strings(1, v))));
}

function securityDefinitionsItem(d: Json): Message {
  if (!isObj(d)) return new Message();
  if (d.type === 'basic') return new Message().message(1, new Message().string(1, d.type).string(2, d.description).messages(3, extensions(d)));
  if (d.type === 'apiKey') return new Message().message(2, new Message().string(1, d.type).string(2, d.name).string(3, d.in).string(4, d.description).messages(5, extensions(d)));
  return new Message();
}

/** Encodes a Swagger 2.0 document as gnostic's `openapi.v2.Document`, as kube-apiserver answers the protobuf request. */
export function encodeOpenApiV2(doc: Obj): Buffer {
  const info = isObj(doc.info) ? doc.info : undefined;
  const paths = isObj(doc.paths) ? doc.paths : undefined;
  const m = new Message()
    .string(1, doc.swagger)
    .message(2, info && new Message().string(1, info.title).string(2, info.version).string(3, info.description).string(4, info.termsOfService).messages(7, extensions(info)))
    .string(3, doc.host).string(4, doc.basePath).strings(5, doc.schemes).strings(6, doc.consumes).strings(7, doc.produces)
    .message(8, paths && new Message()
      .messages(1, extensions(paths))
      .messages(2, Object.entries(paths).filter(([k]) => !k.startsWith('x-')).map(([k, v]) => new Message().string(1, k).message(2, pathItem(v)))));
  if (isObj(doc.definitions)) m.message(9, new Message().messages(1, Object.entries(doc.definitions).map(([k, v]) => new Message().string(1, k).message(2, schema(v)))));
  if (isObj(doc.parameters)) m.message(10, new Message().messages(1, Object.entries(doc.parameters).map(([k, v]) => new Message().string(1, k).message(2, isObj(v) ? parameter(v) : undefined))));
  if (isObj(doc.responses)) m.message(11, new Message().messages(1, Object.entries(doc.responses).map(([k, v]) => new Message().string(1, k).message(2, isObj(v) ? response(v) : undefined))));
  m.messages(12, Array.isArray(doc.security) ? doc.security.map(securityRequirement) : []);
  if (isObj(doc.securityDefinitions)) m.message(13, new Message().messages(1, Object.entries(doc.securityDefinitions).map(([k, v]) => new Message().string(1, k).message(2, securityDefinitionsItem(v)))));
  m.messages(14, Array.isArray(doc.tags) ? doc.tags.map((t) => (isObj(t) ? new Message().string(1, t.name).string(2, t.description).message(3, externalDocs(t.externalDocs)).messages(4, extensions(t)) : new Message())) : []);
  return m.message(15, externalDocs(doc.externalDocs)).messages(16, extensions(doc)).bytes();
}
