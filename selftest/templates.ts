/**
 * The fragment syntax of fault-expectations.ts, turned into regular expressions: a fragment documents a
 * message in docs/faults.md and is matched against the real message, so the two cannot drift apart.
 */
import { formatDuration } from '../harness/timeouts.ts';

/** The budgets a self-test run uses, by class, in milliseconds (what `<rollout>` etc. stand for). */
export type Budgets = Record<'rollout' | 'assert' | 'http' | 'metrics', number>;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regex source of one fragment. */
export function fragmentSource(fragment: string, budgets: Budgets): string {
  let out = '';
  for (let i = 0; i < fragment.length;) {
    const rest = fragment.slice(i);
    const placeholder = /^<(ns|pod|n|url|rollout|assert|http|metrics)>/.exec(rest);
    // `{a|b}` needs a `|`: braces without one are literal (`rq_xx{envoy_response_code_class="2"}`).
    const alternatives = /^\{([^{}|]*\|[^{}]*)\}/.exec(rest);
    if (placeholder) {
      const name = placeholder[1] as string;
      out += name === 'ns' ? 'mesh-conformance-[a-z0-9]+'
        : name === 'pod' ? 'httpbin-[a-z0-9]+-[a-z0-9]+'
          : name === 'n' ? '\\d+'
            : name === 'url' ? 'https?://[^\\s/]+'
              : escape(formatDuration(budgets[name as keyof Budgets]));
      i += placeholder[0].length;
    } else if (alternatives) {
      out += `(?:${(alternatives[1] as string).split('|').map(escape).join('|')})`;
      i += alternatives[0].length;
    } else if (rest.startsWith('…')) {
      out += '[\\s\\S]*?';
      i += 1;
    } else {
      out += escape(rest[0] as string);
      i += 1;
    }
  }
  return out;
}

/** Whether a message contains the fragment (anywhere, across lines). */
export function matchesFragment(message: string, fragment: string, budgets: Budgets): boolean {
  return new RegExp(fragmentSource(fragment, budgets)).test(message);
}
