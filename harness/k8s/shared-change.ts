/**
 * A cluster-wide change a check may make only when the user allowed it (`allowClusterChanges`), and that is undone
 * afterwards: a JSON merge patch to one shared object (a mesh's configuration object), applied with the object's
 * resourceVersion, and its inverse computed from the object as it was. Before the patch is sent, the inverse is written
 * to a journal file in the run's folder, so that whatever ends the run (a failed check, Ctrl-C, a crashed worker),
 * someone restores it: the `clusterChanges` fixture after the check, or the CLI's cleanup after the runner
 * (`restoreJournaledChanges`). A restore puts back only the fields that still hold the value the run set; a field
 * someone changed meanwhile is left as they made it, and the restore says so.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError } from './api-error.ts';
import type { KubeClient } from './kube-client.ts';
import type { ObjectRef } from './resources.ts';
import { describeRef } from './resources.ts';
import { patchStrategies } from './client-node.ts';

/** A JSON merge patch (RFC 7386): objects merge, anything else replaces, null deletes. */
export type MergePatch = { [key: string]: unknown };

/** A change a profile asks for. */
export interface SharedChange {
  /** The name the user allows it by (`clusterChangeNames` in harness/config/config-schema.ts). */
  name: string;
  ref: ObjectRef;
  patch: MergePatch;
  /** What it does, for step titles and the restore record: `sets the ingress gateway's client certificate`. */
  description: string;
}

/** A change as applied, with what undoes it (the journal's content). */
export interface AppliedChange {
  name: string;
  ref: ObjectRef;
  description: string;
  /** What the run set. */
  applied: MergePatch;
  /** The merge patch that puts back what was there (null where a field was absent). */
  restore: MergePatch;
  /** The journal file that holds this record until it is restored. */
  journal: string | undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch that undoes `patch` on `original`: the original value of every field the patch sets, null where the
 * original had nothing (the highest absent level, so no empty object is left behind).
 */
export function inversePatch(original: Record<string, unknown> | undefined, patch: MergePatch): MergePatch {
  const out: MergePatch = {};
  for (const [key, value] of Object.entries(patch)) {
    const before = original?.[key];
    if (before === undefined) out[key] = null;
    else if (isPlainObject(value) && isPlainObject(before)) out[key] = inversePatch(before, value);
    else out[key] = structuredClone(before);
  }
  return out;
}

/** `current` still holds every value `applied` set (merge-patch semantics: null means absent). */
export function stillHolds(current: unknown, applied: unknown): boolean {
  if (applied === null) return current === undefined || current === null;
  if (isPlainObject(applied)) return isPlainObject(current) && Object.entries(applied).every(([k, v]) => stillHolds(current[k], v));
  return deepEqual(current, applied);
}

/**
 * The part of `restore` whose fields still hold what the run applied, and the dotted paths left alone because
 * someone changed them since.
 */
export function restorableParts(current: Record<string, unknown> | undefined, applied: MergePatch, restore: MergePatch, path = ''): { patch: MergePatch; changedSince: string[] } {
  const patch: MergePatch = {};
  const changedSince: string[] = [];
  for (const [key, undo] of Object.entries(restore)) {
    const here = `${path}${path ? '.' : ''}${key}`;
    const set = applied[key];
    const now = current?.[key];
    if (isPlainObject(undo) && isPlainObject(set)) {
      const inner = restorableParts(isPlainObject(now) ? now : undefined, set, undo, here);
      if (Object.keys(inner.patch).length) patch[key] = inner.patch;
      changedSince.push(...inner.changedSince);
    } else if (stillHolds(now, set)) {
      patch[key] = undo;
    } else {
      changedSince.push(here);
    }
  }
  return { patch, changedSince };
}

/** One line: `MeshConfig ns/name: spec.x, spec.y`. */
function leafPaths(patch: MergePatch, path = ''): string[] {
  return Object.entries(patch).flatMap(([k, v]) => (isPlainObject(v) ? leafPaths(v, `${path}${k}.`) : [`${path}${k}`]));
}

/** The journal folder of a run (`runPaths(...).clusterChanges`). */
function journalFile(dir: string, change: SharedChange): string {
  const safe = `${change.name}-${change.ref.kind}-${change.ref.namespace ?? ''}-${change.ref.name}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  return join(dir, `${Date.now()}-${safe}.json`);
}

/**
 * Applies a change: reads the object, journals the inverse, sends the merge patch guarded by the resourceVersion it
 * read (a 409 means someone wrote in between: it reads again, a few times). Pair with `restoreSharedChange`.
 */
export async function applySharedChange(client: KubeClient, change: SharedChange, opts: { budgetMs: number; journalDir: string | undefined }): Promise<AppliedChange> {
  for (let attempt = 1; ; attempt++) {
    const current = await client.read<KubernetesObject & Record<string, unknown>>(change.ref, { budgetMs: opts.budgetMs });
    if (!current) throw new Error(`${describeRef(change.ref)} does not exist, so the run cannot change it (${change.description})`);
    const applied: AppliedChange = {
      name: change.name, ref: change.ref, description: change.description, applied: change.patch,
      restore: inversePatch(current, change.patch), journal: undefined,
    };
    if (opts.journalDir) {
      mkdirSync(opts.journalDir, { recursive: true });
      applied.journal = journalFile(opts.journalDir, change);
      writeFileSync(applied.journal, `${JSON.stringify(applied, null, 2)}\n`, { mode: 0o600 });
    }
    try {
      await client.patch(change.ref, { metadata: { resourceVersion: current.metadata?.resourceVersion }, ...change.patch }, { budgetMs: opts.budgetMs, strategy: patchStrategies.MergePatch });
      return applied;
    } catch (err) {
      if (applied.journal) rmSync(applied.journal, { force: true });
      if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

/**
 * Undoes an applied change on the object as it is now: only the fields that still hold what the run set. Returns what
 * it did, in one line; removes the journal file once done. Throws when the API refuses (the journal stays for the
 * CLI's cleanup to try again).
 */
export async function restoreSharedChange(client: KubeClient, applied: AppliedChange, budgetMs: number): Promise<string> {
  const what = describeRef(applied.ref);
  for (let attempt = 1; ; attempt++) {
    const current = await client.read<KubernetesObject & Record<string, unknown>>(applied.ref, { budgetMs });
    if (!current) {
      if (applied.journal) rmSync(applied.journal, { force: true });
      return `${what} is gone: nothing to restore (${applied.description})`;
    }
    const { patch, changedSince } = restorableParts(current, applied.applied, applied.restore);
    const kept = changedSince.length ? `; left ${changedSince.join(', ')} as someone changed it since` : '';
    try {
      if (Object.keys(patch).length) {
        await client.patch(applied.ref, { metadata: { resourceVersion: current.metadata?.resourceVersion }, ...patch }, { budgetMs, strategy: patchStrategies.MergePatch });
      }
      if (applied.journal) rmSync(applied.journal, { force: true });
      return `${what}: restored ${leafPaths(patch).join(', ') || 'nothing'} (${applied.description})${kept}`;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

/** The changes a run journaled and did not restore (read from its journal folder). */
export function journaledChanges(journalDir: string): AppliedChange[] {
  if (!existsSync(journalDir)) return [];
  return readdirSync(journalDir).filter((f) => f.endsWith('.json')).sort().map((f) => ({ ...JSON.parse(readFileSync(join(journalDir, f), 'utf8')) as AppliedChange, journal: join(journalDir, f) }));
}

/**
 * The safety net after the runner ended, however it ended: restores, newest first, every change still in the
 * journal. Returns one line per change (done or failed); never throws.
 */
export async function restoreJournaledChanges(client: KubeClient, journalDir: string, budgetMs: number): Promise<string[]> {
  const lines: string[] = [];
  for (const change of journaledChanges(journalDir).reverse()) {
    try {
      lines.push(await restoreSharedChange(client, change, budgetMs));
    } catch (err) {
      lines.push(`could not restore ${describeRef(change.ref)} (${change.description}): ${err instanceof Error ? err.message : String(err)}; the journal ${change.journal ?? ''} holds the patch that restores it`);
    }
  }
  return lines;
}
