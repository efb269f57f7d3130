/**
 * Server-side printing: the `meta.k8s.io/v1 Table` that `kubectl get` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, and PartialObjectMetadata(List).
 */
import type { KubeObject, ResourceType } from '../cluster/types.ts';
import { humanDuration } from './printers.ts';

/** What the Accept header asks the server to render instead of the plain object or list. */
export type RenderAs = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | undefined;

/** Reads the `as=` parameter of the first meta.k8s.io media type in an Accept header. */
export function renderAsOf(accept: string | undefined): RenderAs {
  if (!accept) return undefined;
  for (const mediaType of accept.split(',')) {
    const params = new Map(mediaType.split(';').slice(1).map((p) => {
      const [k, v] = p.trim().split('=');
      return [k ?? '', v ?? ''] as const;
    }));
    if (params.get('g') !== 'meta.k8s.io') continue;
    const as = params.get('as');
    if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return as;
  }
  return undefined;
}

/** The metadata-only view of an object. */
export function partialObjectMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function renderCell(type: string, value: string | number | boolean, now: number): string | number | boolean {
  if (type !== 'date') return value;
  if (typeof value !== 'string' || value === '') return '<unknown>';
  const t = Date.parse(value);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

export interface TableOptions {
  /** `includeObject` query parameter: None, Metadata (default) or Object. */
  includeObject?: string;
  /** List metadata (resourceVersion, continue, remainingItemCount); omitted for a single object. */
  listMeta?: Record<string, unknown>;
  /** Leave out column definitions (watch events after the first, as upstream). */
  omitColumns?: boolean;
}

/** Renders objects of one kind as a Table. */
export function renderTable(resource: ResourceType, objects: KubeObject[], opts: TableOptions = {}): KubeObject {
  const now = Date.now();
  const columns = resource.printerColumns;
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
    columnDefinitions: opts.omitColumns ? null : columns.map((col) => ({
      name: col.name,
      type: col.type,
      format: col.format ?? '',
      description: col.description ?? '',
      priority: col.priority ?? 0,
    })),
    rows: objects.map((obj) => ({
      cells: columns.map((col) => renderCell(col.type, col.cell(obj), now)),
      ...(include === 'None' ? {} : { object: include === 'Object' ? obj : partialObjectMetadata(obj) }),
    })),
  };
}
