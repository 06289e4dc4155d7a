import { ValidationError } from './errors.js';

/** The largest quota the platform accepts: 1 TiB. */
export const MAX_QUOTA_BYTES = 1024 ** 4;

/**
 * Checks a quota (or any size limit) in bytes: a whole number from 0 to {@link MAX_QUOTA_BYTES},
 * where 0 means unlimited. Returns it unchanged (-0 becomes 0).
 */
export function parseQuotaBytes(n: number, what = 'quota'): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_QUOTA_BYTES) {
    throw new ValidationError(
      'INVALID_QUOTA',
      `The ${what} must be a whole number of bytes from 0 (unlimited) to ${MAX_QUOTA_BYTES} (1 TiB), got ${String(n)}`,
    );
  }
  return n === 0 ? 0 : n;
}

/** Length of a string in UTF-8 octets (what mail limits and disk usage are measured in). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Human-readable binary size: 512 → "512 B", 1536 → "1.5 KiB", 1048576 → "1 MiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n < 0) return `-${formatBytes(-n)}`;
  let unit = 0;
  let value = n;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  let rounded = Math.round(value * 10) / 10;
  // 1048575 B is 1023.999 KiB, which would round to "1024 KiB": show "1 MiB" instead.
  if (rounded >= 1024 && unit < UNITS.length - 1) {
    rounded = 1;
    unit++;
  }
  if (unit === 0) return `${Math.round(n)} B`;
  return `${rounded} ${UNITS[unit]}`;
}
