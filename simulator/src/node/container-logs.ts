/**
 * The container runtime's log files: one ring buffer per container run, plus the previous run's, served to
 * `kubectl logs` through LogSource.
 */
import type { LogSource } from '../cluster/types.ts';

const maxLines = 2_000;

interface ContainerLog {
  current: string[];
  previous: string[] | undefined;
}

/** Holds the logs of every container on the simulated nodes. */
export class ContainerLogs implements LogSource {
  private readonly byContainer = new Map<string, ContainerLog>();

  /** Appends one line (or several, split on newlines) to the current run of a container. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.entry(namespace, pod, container);
    for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) {
      log.current.push(line);
      if (log.current.length > maxLines) log.current.splice(0, log.current.length - maxLines);
    }
  }

  /** A container restarts: its current log becomes the previous one (`kubectl logs --previous`). */
  rotate(namespace: string, pod: string, container: string): void {
    const log = this.entry(namespace, pod, container);
    log.previous = log.current;
    log.current = [];
  }

  /** The pod is gone: its logs go with it, as on a real node. */
  forgetPod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const key of this.byContainer.keys()) if (key.startsWith(prefix)) this.byContainer.delete(key);
  }

  logs(namespace: string, pod: string, container: string, opts: { tailLines?: number; previous?: boolean } = {}): string | undefined {
    const log = this.byContainer.get(`${namespace}/${pod}/${container}`);
    if (!log) return undefined;
    const lines = opts.previous ? log.previous : log.current;
    if (!lines) return undefined;
    const selected = opts.tailLines !== undefined && opts.tailLines >= 0 ? lines.slice(Math.max(0, lines.length - opts.tailLines)) : lines;
    return selected.length ? `${selected.join('\n')}\n` : '';
  }

  private entry(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.byContainer.get(key);
    if (!log) {
      log = { current: [], previous: undefined };
      this.byContainer.set(key, log);
    }
    return log;
  }
}
