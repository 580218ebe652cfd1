import { NetworkError } from '../../../lib/core/errors.ts';
import type { CallOptions, Sleep } from '../../../lib/core/ports.ts';

/** How long a fake call takes, on the fake clock's sleep. */
export interface FakeLatency {
  readonly ms: number;
  readonly sleep: Sleep;
}

/** Waits out a fake call's latency; one longer than its `timeoutMs` times out, as the real client does. */
export async function waitLatency(latency: FakeLatency | undefined, options: CallOptions): Promise<void> {
  if (latency === undefined) return;
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  await latency.sleep(Math.min(latency.ms, timeoutMs), options.signal);
  if (latency.ms > timeoutMs) throw new NetworkError('Timeout', `no answer within ${timeoutMs} ms`);
}
