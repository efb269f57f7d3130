/**
 * One attempt of the ingress check's HTTP expectations, in `requireConsecutive`'s shape: the mesh's refusal before
 * it admits the ingress (OSM: 502; Istio: 403 `RBAC: access denied`), then 200 through the sidecar, proven by what
 * the mesh profile says the sidecar adds.
 */
import type { ExpectedAnswer, SeenResponse } from '../mesh/mesh-profile.ts';
import type { AttemptResult } from '../wait/consecutive.ts';
import type { HttpClient } from './http-client.ts';
import { describeResponse } from './http-client.ts';

/** `502`, `502 or 503`: the statuses an answer accepts. */
export function answerStatuses(answer: ExpectedAnswer): string {
  return [answer.status, ...(answer.alsoStatuses ?? [])].join(' or ');
}

/** One attempt expecting `GET url` to give the answer (status, and text in the body when the answer names one). */
export function expectAnswer(http: HttpClient, url: string, answer: ExpectedAnswer, requestTimeoutMs: number, host?: string) {
  return async (signal: AbortSignal): Promise<AttemptResult> => {
    const res = await http.send('GET', url, { timeoutMs: requestTimeoutMs, signal, host });
    const bodyOk = answer.bodyIncludes === undefined || res.body.includes(answer.bodyIncludes);
    const statusOk = [answer.status, ...(answer.alsoStatuses ?? [])].includes(res.status);
    const observed = `${describeResponse('GET', url, res)}${statusOk && !bodyOk ? `, body without "${answer.bodyIncludes ?? ''}": ${JSON.stringify(res.body.slice(0, 80))}` : ''}`;
    return { ok: statusOk && bodyOk, observed };
  };
}

/**
 * One attempt of `curl -sI <url>` plus a GET: both must answer 200 and pass the mesh's proof that the response went
 * through the workload's sidecar. `terminal`, when given, names an answer that cannot change by waiting (the wait
 * then fails at once with its reason).
 */
export function expectOkThroughSidecar(http: HttpClient, url: string, proof: (res: SeenResponse) => string | undefined, requestTimeoutMs: number, host?: string, terminal?: (res: SeenResponse) => string | undefined) {
  return async (signal: AbortSignal): Promise<AttemptResult> => {
    const seen: string[] = [];
    let headFailed = false;
    for (const method of ['HEAD', 'GET'] as const) {
      const res = await http.send(method, url, { timeoutMs: requestTimeoutMs, signal, host });
      const problem = res.status === 200 ? proof({ ...res, method }) : undefined;
      seen.push(`${describeResponse(method, url, res)}${problem ? `, ${problem}` : ''}`);
      if (res.status !== 200 || problem) {
        const reason = res.status === 200 ? undefined : terminal?.({ ...res, method });
        // A HEAD's answer has no body: where a body could show the failure is terminal, the GET's tells.
        if (method === 'HEAD' && res.status !== 200 && terminal && reason === undefined) {
          headFailed = true;
          continue;
        }
        return { ok: false, observed: seen.join('; '), ...(reason !== undefined ? { terminal: reason } : {}) };
      }
    }
    return { ok: !headFailed, observed: seen.join('; ') };
  };
}
