/**
 * `--timings` of the simulator: a preset name (`zero`, `quick`, `realistic`), a JSON object of overrides, or the
 * path of a JSON file holding one. An object may name its base with `"preset"` (default quick); every other key
 * must be a field of NodeTimings with a non-negative number of milliseconds, e.g.
 * `{"preset":"realistic","imagePullMs":500}`.
 */
import { readFileSync } from 'node:fs';
import { timingPresets } from './node/timings.ts';
import type { NodeTimings, TimingPresetName } from './node/timings.ts';

const presetNames = Object.keys(timingPresets) as TimingPresetName[];
const isPresetName = (s: string): s is TimingPresetName => (presetNames as string[]).includes(s);

/** Resolves a `--timings` value; throws an Error with a one-line message on anything else. */
export function parseTimingsOption(value: string): NodeTimings {
  const text = value.trim();
  if (isPresetName(text)) return { ...timingPresets[text] };
  let raw: unknown;
  try {
    raw = JSON.parse(text.startsWith('{') ? text : readFileSync(text, 'utf8'));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`invalid --timings "${value}": expected ${presetNames.join(', ')}, a JSON object or a JSON file (${why})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`invalid --timings "${value}": expected a JSON object of overrides`);
  const { preset = 'quick', ...overrides } = raw as Record<string, unknown>;
  if (typeof preset !== 'string' || !isPresetName(preset)) throw new Error(`invalid --timings preset "${String(preset)}": expected one of ${presetNames.join(', ')}`);
  const timings: NodeTimings = { ...timingPresets[preset] };
  for (const [key, v] of Object.entries(overrides)) {
    if (!(key in timings)) throw new Error(`invalid --timings key "${key}": expected one of preset, ${Object.keys(timings).join(', ')}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`invalid --timings value for ${key}: expected a number of milliseconds >= 0`);
    timings[key as keyof NodeTimings] = v;
  }
  return timings;
}
