import { describe, expect, it } from 'vitest';
import { ChainScheduler } from '../../lib/engine/inventory/chain-scheduler.ts';

/** A request that is admitted, then starts sending and finishes when the test says so. */
function controlled(scheduler: ChainScheduler, priority: number, log: number[]) {
  let send: () => void = () => undefined;
  let finish: () => void = () => undefined;
  const done = scheduler.run(priority, (sending) => {
    log.push(priority);
    send = sending;
    return new Promise<void>((resolve) => {
      finish = resolve;
    });
  });
  return { done, send: () => send(), finish: () => finish() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ChainScheduler', () => {
  it('admits two requests at once and holds the rest until one starts sending', async () => {
    // Prepare
    const scheduler = new ChainScheduler();
    const admitted: number[] = [];
    // Act
    const requests = [1, 2, 3].map((p) => controlled(scheduler, p, admitted));
    await settle();
    // Assess
    expect(admitted).toStrictEqual([1, 2]);
    requests[0]?.send();
    await settle();
    expect(admitted).toStrictEqual([1, 2, 3]);
  });

  it('hands the waiting request with the highest priority on first, equal priorities in arrival order', async () => {
    // Prepare: two requests hold the places, four wait
    const scheduler = new ChainScheduler();
    const admitted: number[] = [];
    const holders = [0, 0].map((p) => controlled(scheduler, p, admitted));
    const waiting = [1, 7, 3, 7].map((p) => controlled(scheduler, p, admitted));
    await settle();
    // Act: each admitted request starts sending at once
    for (const holder of holders) holder.send();
    await settle();
    for (const w of waiting) w.send();
    await settle();
    // Assess
    expect(admitted).toStrictEqual([0, 0, 7, 7, 3, 1]);
  });

  it('frees the place of a request that ends without ever sending', async () => {
    // Prepare
    const scheduler = new ChainScheduler();
    const admitted: number[] = [];
    const gaveUp = scheduler.run(9, async () => 'deadline');
    const holder = controlled(scheduler, 5, admitted);
    const third = controlled(scheduler, 1, admitted);
    // Act
    await gaveUp;
    await settle();
    // Assess
    expect(admitted).toStrictEqual([5, 1]);
    holder.send();
    third.send();
    holder.finish();
    third.finish();
    await expect(Promise.all([holder.done, third.done])).resolves.toHaveLength(2);
  });
});
