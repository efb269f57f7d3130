/**
 * Field errors as k8s.io/apimachinery's `field.Error` words them, and the 422 Invalid Status kube-apiserver builds
 * from a list of them (`errors.NewInvalid`): `<Kind>.<group> "<name>" is invalid: <error>` for one error,
 * `[<e1>, <e2>]` for several, one cause per error.
 */
import { ApiError } from './types.ts';
import type { ResourceType } from './types.ts';

export type FieldErrorType = 'Required' | 'Invalid' | 'TypeInvalid' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'TooMany' | 'Duplicate';

export interface FieldError {
  type: FieldErrorType;
  /** `spec.backends[0].port.number` */
  field: string;
  /** The offending value (rendered like Go's %v / %q / JSON); absent for Required, Forbidden and TooLong. */
  value?: unknown;
  detail?: string;
}

const typeText: Record<FieldErrorType, string> = {
  Required: 'Required value', Invalid: 'Invalid value', TypeInvalid: 'Invalid value', NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden', TooLong: 'Too long', TooMany: 'Too many', Duplicate: 'Duplicate value',
};

const causeReason: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired', Invalid: 'FieldValueInvalid', TypeInvalid: 'FieldValueTypeInvalid', NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden', TooLong: 'FieldValueTooLong', TooMany: 'FieldValueTooMany', Duplicate: 'FieldValueDuplicate',
};

/** A value field.Error prints as given: what Go's %#v shows for a typed struct (`v1.LabelSelector{...}`). */
export class GoSyntax {
  constructor(readonly text: string) {}
}

/** A value as field.Error prints it: numbers and booleans bare, strings quoted, anything else as JSON, absent as null. */
export function renderValue(value: unknown): string {
  if (value instanceof GoSyntax) return value.text;
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value);
}

/** The error without its field: `Required value`, `Invalid value: 0: must be ...` (field.Error.ErrorBody). */
export function errorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (e.type !== 'Required' && e.type !== 'Forbidden' && e.type !== 'TooLong' && 'value' in e) s += `: ${renderValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `spec.sources: Required value` (field.Error.Error). */
export function errorText(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

/** `IngressBackend.policy.openservicemesh.io` or `Pod`: how errors.NewInvalid names the kind. */
export function qualifiedKind(type: ResourceType): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`;
}

/** The 422 Invalid error for `errors` (errors.NewInvalid). */
export function invalid(type: ResourceType, name: string, errors: FieldError[]): ApiError {
  const list = errors.length === 1 ? errorText(errors[0]!) : `[${errors.map(errorText).join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind(type)} "${name}" is invalid: ${list}`, {
    name, ...(type.group ? { group: type.group } : {}), kind: type.kind,
    causes: errors.map((e) => ({ reason: causeReason[e.type], message: errorBody(e), field: e.field })),
  });
}
