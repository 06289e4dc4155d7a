import { QUOTA_THRESHOLDS } from './event-catalogue.js';

/**
 * The quota thresholds (percent) that a change of used bytes from `before` to `after` crosses
 * upwards. A mailbox that stays above a threshold does not cross it again; one that fell below and
 * rises again does. An unlimited quota (0) has none.
 */
export function quotaThresholdsCrossed(before: number, after: number, quotaBytes: number): number[] {
  if (quotaBytes <= 0 || after <= before) return [];
  return QUOTA_THRESHOLDS.filter((percent) => {
    const bytes = (quotaBytes * percent) / 100;
    return before < bytes && after >= bytes;
  });
}
