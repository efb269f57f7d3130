import type { ApiFailureDetail } from '../k8s/api-error.ts';
import type { HttpExchange } from '../http/http-client.ts';
import type { Attachment } from './attachment.ts';

/** The last HTTP exchanges through the ingress, with headers, as JSON. */
export function httpExchangesAttachment(exchanges: readonly HttpExchange[]): Attachment[] {
  if (!exchanges.length) return [];
  return [{ name: 'last HTTP exchanges', contentType: 'application/json', body: JSON.stringify(exchanges.slice(-20), null, 2) }];
}

/** Raw headers and bodies of failed API calls, which the one-line error messages leave out. */
export function apiFailuresAttachment(failures: readonly ApiFailureDetail[]): Attachment[] {
  if (!failures.length) return [];
  return [{ name: 'failed API calls (raw)', contentType: 'application/json', body: JSON.stringify(failures.slice(-20), null, 2) }];
}
