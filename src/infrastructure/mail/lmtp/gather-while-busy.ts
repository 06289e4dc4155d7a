/**
 * Group commit for the LMTP agent: deliveries that arrive while the previous batch is being stored
 * wait for it, then go together in one call (one unit of work for the lot, when every recipient is
 * accepted: `MailService.deliverEachBatch`). An idle agent stores a delivery at once, alone; a busy
 * one stores more per transaction the busier it is, instead of queueing transactions.
 */
export interface GatherOptions<I> {
  /** Batches being stored at once. */
  concurrency: number;
  /** A batch holds items up to this total weight (at least one item, whatever its weight). */
  maxWeight: number;
  /** An item's weight: its recipients, for a delivery. */
  weigh: (input: I) => number;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/** `store` called with batches of the inputs given to the returned function, in arrival order. */
export function gatherWhileBusy<I, O>(
  store: (inputs: I[]) => Promise<O[]>,
  options: GatherOptions<I>,
): (input: I) => Promise<O> {
  const queue: Waiting<I, O>[] = [];
  let storing = 0;

  const next = (): Waiting<I, O>[] => {
    let weight = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || weight + options.weigh(queue[n]!.input) <= options.maxWeight)) {
      weight += options.weigh(queue[n]!.input);
      n++;
    }
    return queue.splice(0, n);
  };

  const pump = (): void => {
    while (storing < options.concurrency && queue.length > 0) {
      const batch = next();
      storing++;
      store(batch.map((w) => w.input))
        .then((outputs) => {
          if (outputs.length !== batch.length) throw new Error(`${outputs.length} outcomes for ${batch.length} inputs`);
          batch.forEach((w, i) => w.resolve(outputs[i]!));
        })
        .catch((error: unknown) => batch.forEach((w) => w.reject(error)))
        .finally(() => {
          storing--;
          pump();
        });
    }
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      pump();
    });
}
