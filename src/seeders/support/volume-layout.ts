/**
 * Where every row of the volume world goes, computed from its number alone: addresses are unique
 * and the same on every run, and a batch of email maps to one contiguous run of mailboxes (so a
 * batch loads only the few mailboxes it fills).
 *
 * Domain d belongs to user d mod users; mailbox k lives on domain k mod domains. With a hot
 * mailbox, mailbox 0 receives exactly `hot` emails (the first ones) and the other mailboxes
 * share the rest evenly, in order; without one, all mailboxes share all the emails.
 */
export interface VolumeSize {
  users: number;
  domains: number;
  mailboxes: number;
  emails: number;
  /** Emails for mailbox 0 (`user0@d0.example`); 0 for none. */
  hot: number;
}

export const VOLUME_USER_DOMAIN = 'volume.example';
export const volumeUserEmail = (u: number): string => `owner${u}@${VOLUME_USER_DOMAIN}`;
export const volumeDomainName = (d: number): string => `d${d}.example`;
export const volumeMailboxAddress = (k: number, size: VolumeSize): string =>
  `user${k}@${volumeDomainName(k % size.domains)}`;

/** Numbers from `first` up to (not including) `end`, every `step`. */
export function* every(first: number, end: number, step: number): Generator<number> {
  for (let n = first; n < end; n += step) yield n;
}

/** The mailbox number of the n-th email. */
export function mailboxOfEmail(n: number, size: VolumeSize): number {
  const hot = hotEmails(size);
  if (n < hot) return 0;
  const first = hot > 0 ? 1 : 0;
  const shared = size.emails - hot;
  const count = size.mailboxes - first;
  const per = Math.floor(shared / count);
  const extra = shared % count; // the first `extra` mailboxes take one more
  const r = n - hot;
  const big = extra * (per + 1);
  return first + (r < big ? Math.floor(r / (per + 1)) : extra + Math.floor((r - big) / per));
}

/** The hot mailbox's share; with a single mailbox, it is all of them. */
export function hotEmails(size: VolumeSize): number {
  return size.mailboxes === 1 ? size.emails : Math.min(size.hot, size.emails);
}
