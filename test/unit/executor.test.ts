import { describe, expect, it } from 'vitest';
import { ApiError, DeadlineError, EndpointUnreachableError, NetworkError } from '../../lib/core/errors.ts';
import type { CallOptions, Sleep } from '../../lib/core/ports.ts';
import { Executor, type ExecutorOptions } from '../../lib/engine/executor.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { type FakeClock, fakeClock } from '../support/fakes/clock.ts';

function executor(time: FakeClock, overrides: Partial<ExecutorOptions> = {}): Executor {
  return new Executor({
    // A ceiling far above anything a test sends, so pacing never adds a sleep of its own.
    rate: new AdaptiveRateController({ maxQps: 1e12, now: time.now }),
    concurrency: 4,
    maxAttempts: 5,
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...overrides,
  });
}

/** An attempt function that fails with `errors` in turn, then succeeds with 'done'. */
function scripted(...errors: unknown[]) {
  const seen: CallOptions[] = [];
  const fn = async (options: CallOptions): Promise<string> => {
    seen.push(options);
    const next = errors.shift();
    if (next !== undefined) throw next;
    return 'done';
  };
  return { fn, seen };
}

const internalError = () => new ApiError('InternalError', 500, 'R', 'boom');
const throttled = (retryAfterMs?: number) => new ApiError('Throttling.User', 400, 'R', 'slow down', retryAfterMs);
const notFound = () => new ApiError('InvalidResourceId.NotFound', 404, 'R', 'no such resource');
const badSignature = () => new ApiError('SignatureDoesNotMatch', 400, 'R', 'signature mismatch');

describe('Executor retries', () => {
  it('retries transient errors (5xx, resets) until the call succeeds', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time);
    const attempt = scripted(internalError(), new NetworkError('ECONNRESET', 'reset'));
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toStrictEqual({ ok: true, value: 'done', attempts: 3, throttles: 0 });
    expect(exec.stats).toStrictEqual({ attempts: 3, retries: 2, throttled: 0 });
  });

  it('retries throttling and counts it', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time);
    const attempt = scripted(throttled(), throttled());
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: true, attempts: 3, throttles: 2 });
    expect(exec.stats.throttled).toBe(2);
  });

  it('makes exactly one attempt for a permanent error', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time);
    const attempt = scripted(notFound());
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'permanent', errorClass: 'permanent', attempts: 1 });
    expect(attempt.seen).toHaveLength(1);
    expect(time.sleeps).toStrictEqual([]);
  });

  it('stops on a fatal error, and later calls give up as stopped without being tried', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time);
    const first = scripted(badSignature());
    const later = scripted();
    // Act
    const fatal = await exec.run(first.fn);
    const after = await exec.run(later.fn);
    // Assess
    expect(fatal).toMatchObject({ ok: false, reason: 'fatal', attempts: 1 });
    expect(exec.stopped).toBe(true);
    expect((exec.stopError as ApiError).code).toBe('SignatureDoesNotMatch');
    expect(after).toMatchObject({ ok: false, reason: 'stopped', attempts: 0 });
    expect((after as { error: unknown }).error).toBe(exec.stopError);
    expect(later.seen).toHaveLength(0);
  });

  it('gives up as exhausted after maxAttempts attempts', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { maxAttempts: 3 });
    const attempt = scripted(internalError(), internalError(), internalError(), internalError());
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'exhausted', errorClass: 'transient', attempts: 3 });
    expect(attempt.seen).toHaveLength(3);
    expect(time.sleeps).toHaveLength(2); // no pointless sleep after the last attempt
  });

  it('waits exactly x-acs-retry-after before retrying a throttled call', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { random: () => 0.999 });
    const attempt = scripted(throttled(1234));
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result.ok).toBe(true);
    expect(time.sleeps).toStrictEqual([1234]);
  });

  it('draws full jitter below the capped exponential step', async () => {
    // Prepare: random just below 1 gives the largest possible delay
    const time = fakeClock();
    const exec = executor(time, { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999_999 });
    const attempt = scripted(...Array.from({ length: 7 }, internalError));
    // Act
    await exec.run(attempt.fn);
    // Assess: caps are 100, 200, 400, 800, then 1000 thereafter
    const caps = [100, 200, 400, 800, 1000, 1000, 1000];
    expect(time.sleeps).toHaveLength(caps.length);
    time.sleeps.forEach((ms, i) => {
      expect(ms).toBeLessThan(caps[i] as number);
      expect(ms).toBeGreaterThan((caps[i] as number) * 0.99);
    });
  });

  it('draws jitter from the whole range down to zero', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { baseDelayMs: 100, random: () => 0.25 });
    const attempt = scripted(internalError(), internalError());
    // Act
    await exec.run(attempt.fn);
    // Assess
    expect(time.sleeps).toStrictEqual([25, 50]);
  });

  it('uses the larger throttle base step after throttling', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { baseDelayMs: 100, throttleBaseDelayMs: 500, random: () => 0.5 });
    const attempt = scripted(throttled());
    // Act
    await exec.run(attempt.fn);
    // Assess: the rate controller may add its own pacing wait, but the backoff is 0.5 × 500
    expect(time.sleeps).toContain(250);
  });
});

describe('Executor deadline', () => {
  it('does not sleep for a retry that would end past the deadline', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { deadlineAt: time.now() + 1000, baseDelayMs: 4000, random: () => 0.5 });
    const attempt = scripted(internalError(), internalError());
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'deadline', attempts: 1, errorClass: 'transient' });
    expect((result as { error: unknown }).error).toBeInstanceOf(ApiError);
    expect(time.sleeps).toStrictEqual([]);
  });

  it('does not honour a retry-after that reaches past the deadline', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { deadlineAt: time.now() + 1000 });
    const attempt = scripted(throttled(5000));
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'deadline' });
    expect(time.sleeps.every((ms) => ms < 1000)).toBe(true);
    expect(attempt.seen).toHaveLength(1);
  });

  it('shortens the request timeout to the time left before the deadline', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { deadlineAt: time.now() + 3000, requestTimeoutMs: 10_000 });
    const attempt = scripted();
    // Act
    await exec.run(attempt.fn);
    // Assess
    expect(attempt.seen[0]?.timeoutMs).toBe(3000);
  });

  it('keeps the configured request timeout when the deadline is further away', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { deadlineAt: time.now() + 60_000, requestTimeoutMs: 2000 });
    const attempt = scripted();
    // Act
    await exec.run(attempt.fn);
    // Assess
    expect(attempt.seen[0]?.timeoutMs).toBe(2000);
  });

  it('starts no attempt once the deadline has passed', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { deadlineAt: time.now() - 1 });
    const attempt = scripted();
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'deadline', attempts: 0 });
    expect((result as { error: unknown }).error).toBeInstanceOf(DeadlineError);
    expect(attempt.seen).toHaveLength(0);
  });
});

describe('Executor concurrency', () => {
  it('never has more calls in flight than the concurrency cap', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { concurrency: 3 });
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: (() => void)[] = [];
    const attempt = async (): Promise<string> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
      return 'ok';
    };
    // Act: start ten calls, then release them one at a time as they arrive
    const all = Promise.all(Array.from({ length: 10 }, () => exec.run(attempt)));
    let released = 0;
    while (released < 10) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = releases.shift();
      if (next) {
        next();
        released++;
      }
    }
    const results = await all;
    // Assess
    expect(maxInFlight).toBe(3);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('does not hold a concurrency slot while sleeping between retries', async () => {
    // Prepare: one slot; a call that backs off must let another call through meanwhile
    const time = fakeClock();
    const order: string[] = [];
    let wakeRetry: (() => void) | undefined;
    const sleep: Sleep = (ms) =>
      ms >= 1
        ? new Promise<void>((resolve) => {
            wakeRetry = resolve;
          })
        : Promise.resolve();
    const exec = executor(time, { concurrency: 1, sleep, random: () => 0.5 });
    const flaky = scripted(internalError());
    // Act
    const first = exec.run(async (o) => {
      order.push('flaky');
      return flaky.fn(o);
    });
    await new Promise((resolve) => setImmediate(resolve));
    const second = exec.run(async () => {
      order.push('other');
      return 'other';
    });
    await second;
    wakeRetry?.();
    await first;
    // Assess
    expect(order).toStrictEqual(['flaky', 'other', 'flaky']);
  });

  it.each([
    ['a fatal error in another call', (exec: Executor) => exec.run(scripted(badSignature()).fn)],
    ['an explicit stop', async (exec: Executor) => exec.stop(new Error('shutting down'))],
  ])('aborts a request in flight on %s, and gives it up as stopped without a retry', async (_name, stopRun) => {
    // Prepare: the probe is answered, then a request hangs until its signal aborts
    const time = fakeClock();
    const exec = executor(time, { concurrency: 2 });
    await exec.run(scripted().fn);
    let signal: AbortSignal | undefined;
    const hanging = exec.run(
      (options) =>
        new Promise<string>((_resolve, reject) => {
          signal = options.signal;
          signal?.addEventListener('abort', () => reject(new NetworkError('Aborted', 'request aborted')));
        }),
    );
    while (signal === undefined) await new Promise((resolve) => setImmediate(resolve));
    // Act
    await stopRun(exec);
    const result = await hanging;
    // Assess
    expect(signal.aborted).toBe(true);
    expect(result).toMatchObject({ ok: false, reason: 'stopped', errorClass: 'fatal', attempts: 1 });
    expect(exec.stats.retries).toBe(0);
  });

  it('lets calls already queued give up as stopped once a fatal error stops the run', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { concurrency: 1 });
    let calls = 0;
    const attempt = async (): Promise<string> => {
      calls++;
      throw badSignature();
    };
    // Act
    const results = await Promise.all(Array.from({ length: 5 }, () => exec.run(attempt)));
    // Assess
    expect(calls).toBe(1);
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toStrictEqual([
      'fatal',
      'stopped',
      'stopped',
      'stopped',
      'stopped',
    ]);
  });
});

describe('Executor unreachable endpoint', () => {
  // Lets every call started so far run up to its first await on something outside the executor.
  const flushMicrotasks = () => new Promise((resolve) => setImmediate(resolve));
  const refused = () => new NetworkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
  const timedOut = () => new NetworkError('Timeout', 'no response within 10000 ms');

  it('stops the run at once as EndpointUnreachable when the host name does not resolve', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time);
    const attempt = scripted(new NetworkError('ENOTFOUND', 'getaddrinfo ENOTFOUND ecs.nowhere.example'));
    const later = scripted();
    // Act
    const result = await exec.run(attempt.fn);
    const after = await exec.run(later.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'fatal', attempts: 1 });
    expect(exec.stopError).toBeInstanceOf(EndpointUnreachableError);
    expect(exec.stopError).toMatchObject({ failures: 1, lastCode: 'ENOTFOUND' });
    expect(after).toMatchObject({ ok: false, reason: 'stopped' });
    expect(later.seen).toHaveLength(0);
  });

  it.each([
    ['refused connections', refused],
    ['timeouts', timedOut],
  ])('stops after five %s in a row with no answer between', async (_label, error) => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { maxAttempts: 20 });
    const attempt = scripted(...Array.from({ length: 20 }, error));
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'fatal', attempts: 5 });
    expect(exec.stopError).toBeInstanceOf(EndpointUnreachableError);
    expect(exec.stopError).toMatchObject({ failures: 5, lastCode: error().code });
  });

  it('starts counting again after any answer from the API, even an error document', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, { maxAttempts: 20 });
    const attempt = scripted(refused(), refused(), refused(), refused(), internalError(), refused(), refused());
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: true, attempts: 8 });
    expect(exec.stopped).toBe(false);
  });

  it('does not stop for a wave of calls in flight that fail together once and then get through', async () => {
    // Prepare: a first call answered, then eight calls in flight whose first attempts all time out at once
    const time = fakeClock();
    const exec = executor(time, { concurrency: 8 });
    await exec.run(scripted().fn);
    let release: () => void = () => undefined;
    const blip = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sent = 0;
    const attempt = async (): Promise<string> => {
      if (sent++ < 8) {
        await blip;
        throw timedOut();
      }
      return 'done';
    };
    // Act
    const running = Array.from({ length: 8 }, () => exec.run(attempt));
    await flushMicrotasks();
    release();
    const results = await Promise.all(running);
    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
    expect(exec.stopped).toBe(false);
  });

  it('does not count timeouts of requests the deadline cut short', async () => {
    // Prepare
    const time = fakeClock();
    const exec = executor(time, {
      maxAttempts: 8,
      deadlineAt: time.now() + 5000,
      requestTimeoutMs: 10_000,
      baseDelayMs: 1,
    });
    const attempt = scripted(...Array.from({ length: 8 }, timedOut));
    // Act
    const result = await exec.run(attempt.fn);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'exhausted', attempts: 8 });
    expect(exec.stopped).toBe(false);
  });
});
