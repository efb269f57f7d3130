import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realisticTimings, zeroTimings } from './node/timings.ts';
import { parseTimingsOption } from './timings-option.ts';

void describe('--timings', () => {
  void it('takes a preset name', () => {
    assert.deepEqual(parseTimingsOption('zero'), zeroTimings);
    assert.deepEqual(parseTimingsOption('realistic'), realisticTimings);
  });

  void it('takes JSON overrides on a named preset', () => {
    const t = parseTimingsOption('{"preset":"realistic","imagePullMs":100,"ingressAddressMs":0}');
    assert.equal(t.imagePullMs, 100);
    assert.equal(t.ingressAddressMs, 0);
    assert.equal(t.sidecarReadyMs, realisticTimings.sidecarReadyMs);
  });

  void it('refuses unknown names, keys and values with one line that lists the valid ones', () => {
    assert.throws(() => parseTimingsOption('fast'), /^Error: invalid --timings "fast": expected zero, quick, realistic, a JSON object or a JSON file/);
    assert.throws(() => parseTimingsOption('{"imagePull":1}'), /invalid --timings key "imagePull": expected one of preset, imagePullMs,/);
    assert.throws(() => parseTimingsOption('{"imagePullMs":-1}'), /invalid --timings value for imagePullMs: expected a number of milliseconds >= 0/);
    assert.throws(() => parseTimingsOption('{"preset":"slow"}'), /invalid --timings preset "slow": expected one of zero, quick, realistic/);
  });
});
