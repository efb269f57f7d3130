/** Small text helpers for one-line messages, shared by the harness, the CLI and the reporters. */

/** The first non-blank line of a text, trimmed, cut at `max` characters with an ellipsis. */
export function firstLine(text: string | undefined, max = Infinity): string {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** An error's message (or the thrown value) as one line: what goes after "failed: " in a message. */
export function errorText(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}

/** Like `errorText`, with the cause's message when there is one (`fetch failed (connect ECONNREFUSED …)`). */
export function errorWithCause(err: unknown): string {
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  return cause instanceof Error ? `${errorText(err)} (${errorText(cause)})` : errorText(err);
}

/** Removes ANSI colour codes (Playwright's error messages carry them). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
