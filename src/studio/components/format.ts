/** Plain text for pages: links, sizes, dates and counts. No markup here. */
import { formatBytes } from '../../domain/byte-size.js';

/** A path with query parameters, each value URL-encoded; empty values are left out. */
export function href(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '' && value !== false) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export const bytes = (n: number): string => formatBytes(n);

export function when(date: Date | null | undefined): string {
  if (!date) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : nouns}`;
}

/** A limit of a domain: 0 means none. */
export function limit(n: number, unit: (n: number) => string = String): string {
  return n === 0 ? 'unlimited' : unit(n);
}
