import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hotEmails, mailboxOfEmail, type VolumeSize } from '../../src/seeders/support/volume-layout.js';

const sizes = fc
  .record({
    mailboxes: fc.integer({ min: 1, max: 60 }),
    emails: fc.integer({ min: 0, max: 3_000 }),
    hot: fc.integer({ min: 0, max: 4_000 }),
  })
  .map((s): VolumeSize => ({ users: 1, domains: 1, ...s }));

function perMailbox(size: VolumeSize): number[] {
  const counts = new Array<number>(size.mailboxes).fill(0);
  let inOrder = true;
  for (let n = 0, previous = 0; n < size.emails; previous = mailboxOfEmail(n, size), n++) {
    const k = mailboxOfEmail(n, size);
    inOrder &&= k >= previous;
    counts[k]! += 1;
  }
  // emails fill mailboxes in order, so a batch of consecutive emails covers one run of mailboxes
  expect(inOrder).toBe(true);
  return counts;
}

describe('the volume layout', () => {
  it('gives the hot mailbox its share and spreads the rest evenly over the others', () => {
    fc.assert(
      fc.property(sizes, (size) => {
        const counts = perMailbox(size);
        const hot = hotEmails(size);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(size.emails);
        const shared = hot > 0 ? counts.slice(1) : counts;
        if (hot > 0) expect(counts[0]).toBe(hot);
        if (shared.length > 0) expect(Math.max(...shared) - Math.min(...shared)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('sends everything to a single mailbox', () => {
    expect(perMailbox({ users: 1, domains: 1, mailboxes: 1, emails: 10, hot: 0 })).toEqual([10]);
  });
});
