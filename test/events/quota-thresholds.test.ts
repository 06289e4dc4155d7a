/** Which quota thresholds a change of used bytes crosses: examples and properties (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotaThresholdsCrossed } from '../../src/application/events/quota-thresholds.js';

describe('quota thresholds crossed', () => {
  it('names each threshold a rise crosses, once', () => {
    expect(quotaThresholdsCrossed(0, 79, 100)).toEqual([]);
    expect(quotaThresholdsCrossed(0, 80, 100)).toEqual([80]);
    expect(quotaThresholdsCrossed(79, 96, 100)).toEqual([80, 95]);
    expect(quotaThresholdsCrossed(80, 94, 100)).toEqual([]);
    expect(quotaThresholdsCrossed(0, 100, 100)).toEqual([80, 95, 100]);
    expect(quotaThresholdsCrossed(96, 80, 100)).toEqual([]);
    expect(quotaThresholdsCrossed(0, 5_000, 0)).toEqual([]);
  });

  it('a rise in steps crosses exactly the thresholds the whole rise crosses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: 1, maxLength: 20 }),
        (quota, steps) => {
          let used = 0;
          const crossed: number[] = [];
          for (const step of steps) {
            crossed.push(...quotaThresholdsCrossed(used, used + step, quota));
            used += step;
          }
          expect(crossed).toEqual(quotaThresholdsCrossed(0, used, quota));
          for (const percent of crossed) expect(used).toBeGreaterThanOrEqual((quota * percent) / 100);
        },
      ),
    );
  });
});
