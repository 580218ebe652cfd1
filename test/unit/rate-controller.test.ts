import { describe, expect, it } from 'vitest';
import { DeadlineError, StoppedError } from '../../lib/core/errors.ts';
import { AdaptiveRateController, MIN_QPS, type RateControllerOptions } from '../../lib/engine/rate-controller.ts';
import { type FakeClock, fakeClock } from '../support/fakes/clock.ts';

function controller(clock: FakeClock, options: RateControllerOptions = {}): AdaptiveRateController {
  return new AdaptiveRateController({ now: clock.now, sleep: clock.sleep, ...options });
}

/** One caller that keeps the limiter busy for `ms`: it takes every slot as soon as it is due. */
async function demand(clock: FakeClock, rate: AdaptiveRateController, ms: number): Promise<number> {
  const until = clock.now() + ms;
  let slots = 0;
  while (clock.now() < until) {
    await clock.run(rate.acquire());
    slots++;
  }
  return slots;
}

/** `count` accepted calls spread evenly over `ms`. */
async function accepted(clock: FakeClock, rate: AdaptiveRateController, count: number, ms: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await clock.advance(ms / count);
    rate.onSuccess();
  }
}

describe('AdaptiveRateController decrease', () => {
  it('lowers the rate at once on a throttle', () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 100 });
    // Act
    rate.onThrottle();
    // Assess
    expect(rate.rateQps).toBe(50);
  });

  it('falls to 95% of the limit measured between two throttles', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 400 });
    rate.onThrottle(); // blind cut: 400 -> 200
    await accepted(clock, rate, 30, 300); // the API let 100 calls/s through meanwhile
    // Act
    rate.onThrottle();
    // Assess
    expect(rate.rateQps).toBeCloseTo(95, 5);
    expect(rate.state().lastMaxQps).toBeCloseTo(100, 5);
  });

  it('decreases at most once per cooldown when it is not told when the request left', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 100 });
    rate.onThrottle();
    const afterFirst = rate.rateQps;
    // Act
    await clock.advance(100);
    rate.onThrottle();
    const withinCooldown = rate.rateQps;
    await clock.advance(150);
    rate.onThrottle();
    // Assess
    expect(withinCooldown).toBe(afterFirst);
    expect(rate.rateQps).toBeLessThan(afterFirst);
  });

  it('ignores a throttle for a request sent before the last decrease', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 100 });
    const sentBefore = clock.now();
    await clock.advance(5);
    rate.onThrottle(undefined, sentBefore);
    const afterFirst = rate.rateQps;
    await clock.advance(5);
    // Act
    rate.onThrottle(undefined, sentBefore);
    const stale = rate.rateQps;
    rate.onThrottle(undefined, clock.now());
    // Assess
    expect(stale).toBe(afterFirst);
    expect(rate.rateQps).toBeLessThan(afterFirst);
  });

  it('never goes below MIN_QPS', () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 4 });
    // Act
    for (let i = 0; i < 10; i++) rate.onThrottle(undefined, clock.now());
    // Assess
    expect(rate.rateQps).toBe(MIN_QPS);
  });
});

describe('AdaptiveRateController growth', () => {
  it('probes back up to the last max and then beyond it while callers wait', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { initialQps: 200 });
    rate.onThrottle();
    await accepted(clock, rate, 20, 250);
    rate.onThrottle(); // measured 80 calls/s: rate 76, last max 80
    const afterDecrease = rate.rateQps;
    // Act
    await demand(clock, rate, 1500);
    const nearMax = rate.rateQps;
    await demand(clock, rate, 2000);
    // Assess
    expect(afterDecrease).toBeCloseTo(76, 5);
    expect(nearMax).toBeGreaterThanOrEqual(80 * 0.99);
    expect(nearMax).toBeLessThan(80 * 1.05);
    expect(rate.rateQps).toBeGreaterThan(80 * 1.2);
  });

  it('never exceeds the ceiling, however long it probes', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 50 });
    rate.onThrottle(); // 25, last max 50
    // Act
    const slots = await demand(clock, rate, 5000);
    // Assess
    expect(rate.rateQps).toBe(50);
    expect(slots).toBeLessThanOrEqual(5 * 50 + 1);
  });

  it('doubles in slow start while callers wait, without a ceiling', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { initialQps: 10 });
    // Act
    await demand(clock, rate, 1000);
    // Assess
    expect(rate.state().slowStart).toBe(true);
    expect(rate.state().ceilingQps).toBeUndefined();
    expect(rate.rateQps).toBeGreaterThan(10 * 2 ** 3);
  });

  it('does not grow while idle, and picks up where it was after the break', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { initialQps: 10 });
    await clock.run(rate.acquire());
    const before = rate.rateQps;
    // Act
    await clock.advance(60_000);
    await clock.run(rate.acquire());
    // Assess
    expect(rate.rateQps).toBe(before);
  });

  it('does not count an idle spell as time on the CUBIC curve', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 100 });
    rate.onThrottle(); // 50, last max 100
    // Act
    await clock.advance(60_000);
    await clock.run(rate.acquire());
    // Assess
    expect(rate.rateQps).toBe(50);
  });
});

describe('AdaptiveRateController pacing', () => {
  it('spaces slots 1/rate apart for callers that queue', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 10 });
    const grantedAt: number[] = [];
    // Act
    const callers = Array.from({ length: 4 }, () => rate.acquire().then(() => grantedAt.push(clock.now())));
    await clock.run(Promise.all(callers));
    // Assess
    const start = grantedAt[0] ?? 0;
    expect(grantedAt.map((t) => t - start)).toStrictEqual([0, 100, 200, 300]);
  });

  it('slows callers already waiting when the rate drops', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 10 });
    const grantedAt: number[] = [];
    const callers = Array.from({ length: 3 }, () => rate.acquire().then(() => grantedAt.push(clock.now())));
    await clock.advance(0);
    // Act
    rate.onThrottle(undefined, clock.now()); // 10 -> 5 calls/s while two callers wait
    await clock.run(Promise.all(callers));
    // Assess: 100 ms apart at the old rate; nearer 200 ms at the new one (CUBIC regrows it meanwhile)
    const gaps = grantedAt.slice(1).map((t, i) => t - (grantedAt[i] ?? 0));
    expect(gaps).toHaveLength(2);
    for (const gap of gaps) expect(gap).toBeGreaterThan(150);
  });
});

describe('AdaptiveRateController retry-after', () => {
  it('holds acquire() until the pause is over', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 100 });
    const pausedAt = clock.now();
    // Act
    rate.onThrottle(1500);
    await clock.run(rate.acquire());
    // Assess
    expect(clock.now() - pausedAt).toBeGreaterThanOrEqual(1500);
  });
});

describe('AdaptiveRateController deadline and stop', () => {
  it('rejects acquire() with DeadlineError when the slot is after the deadline', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 1 });
    await clock.run(rate.acquire());
    // Act
    const result = clock.run(rate.acquire(clock.now() + 500));
    // Assess
    await expect(result).rejects.toBeInstanceOf(DeadlineError);
  });

  it('rejects waiting callers with StoppedError when the run stops', async () => {
    // Prepare
    const clock = fakeClock({ autoAdvance: false });
    const rate = controller(clock, { maxQps: 1 });
    const stop = new AbortController();
    await clock.run(rate.acquire());
    const head = rate.acquire(Number.POSITIVE_INFINITY, stop.signal);
    const queued = rate.acquire(Number.POSITIVE_INFINITY, stop.signal);
    head.catch(() => undefined);
    queued.catch(() => undefined);
    await clock.advance(10);
    // Act
    stop.abort();
    await clock.advance(10);
    // Assess
    await expect(head).rejects.toBeInstanceOf(StoppedError);
    await expect(queued).rejects.toBeInstanceOf(StoppedError);
    expect(rate.state().waiting).toBe(0);
  });
});
