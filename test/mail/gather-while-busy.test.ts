/**
 * The LMTP agent's group commit: what arrives while a batch is being stored goes in the next batch,
 * in arrival order, bounded by weight; each caller gets its own output or the batch's error.
 */
import { describe, expect, it } from 'vitest';
import { gatherWhileBusy } from '../../src/infrastructure/mail/lmtp/gather-while-busy.js';

/** Lets every pending callback run (a batch's end starts the next one on a later turn). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A store whose batches finish when the test says so; it records each batch it was given. */
function controlledStore() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const store = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(inputs);
      finish.push(() =>
        inputs.includes(13) ? reject(new Error('unlucky batch')) : resolve(inputs.map((i) => `stored ${i}`)),
      );
    });
  return { batches, finish, store };
}

describe('gatherWhileBusy', () => {
  it('stores the first at once, gathers the rest while busy, and answers each its own', async () => {
    const { batches, finish, store } = controlledStore();
    const deliver = gatherWhileBusy(store, { concurrency: 1, maxWeight: 10, weigh: () => 1 });
    const first = deliver(1);
    const rest = [2, 3, 4].map((i) => deliver(i));
    expect(batches).toEqual([[1]]);
    finish[0]!();
    expect(await first).toBe('stored 1');
    await settled();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    finish[1]!();
    expect(await Promise.all(rest)).toEqual(['stored 2', 'stored 3', 'stored 4']);
  });

  it('bounds a batch by weight (one heavy item still goes alone) and runs up to `concurrency` batches', async () => {
    const { batches, finish, store } = controlledStore();
    const deliver = gatherWhileBusy(store, { concurrency: 2, maxWeight: 5, weigh: (i) => i });
    const all = [1, 2, 9, 2, 2, 2].map((i) => deliver(i));
    expect(batches).toEqual([[1], [2]]);
    finish[0]!();
    await all[0];
    await settled();
    expect(batches.at(-1)).toEqual([9]);
    finish[1]!();
    await all[1];
    await settled();
    expect(batches.at(-1)).toEqual([2, 2]);
    finish[2]!();
    finish[3]!();
    await Promise.all([all[2], all[3], all[4]]);
    await settled();
    expect(batches.at(-1)).toEqual([2]);
    finish[4]!();
    expect(await Promise.all(all)).toEqual([1, 2, 9, 2, 2, 2].map((i) => `stored ${i}`));
  });

  it('a failed batch rejects its own callers only, and the next batch still runs', async () => {
    const { batches, finish, store } = controlledStore();
    const deliver = gatherWhileBusy(store, { concurrency: 1, maxWeight: 10, weigh: () => 1 });
    const first = deliver(1);
    const unlucky = [deliver(13), deliver(14)].map((p) => p.then(String, (e: Error) => e.message));
    finish[0]!();
    await first;
    await settled();
    const later = deliver(15);
    finish[1]!();
    expect(await Promise.all(unlucky)).toEqual(['unlucky batch', 'unlucky batch']);
    await settled();
    expect(batches).toEqual([[1], [13, 14], [15]]);
    finish[2]!();
    expect(await later).toBe('stored 15');
  });
});
