import type { Manifest } from '../../lib/core/manifest/types.ts';
import { planManifest } from '../../lib/core/plan.ts';
import { type AttemptRecord, callKey } from './timing-client.ts';

/** What one client process measured, in a form that crosses process boundaries (IPC). */
export interface ClientSummary {
  /** First request handed to the HTTP client, epoch ms. */
  readonly firstSentAt: number;
  /** Last answer received, epoch ms. */
  readonly lastDoneAt: number;
  /** Client-added latency of every call that succeeded, ms (see {@link addedLatencies}). */
  readonly addedLatenciesMs: number[];
  /** Resources whose outcome is not `removed`. */
  readonly failedResources: number;
  /** Requests sent, retries included. */
  readonly requests: number;
  /** When each accepted attempt was sent, epoch ms (for the pictures). */
  readonly okSentAt: number[];
  /** When each throttled attempt was sent, epoch ms. */
  readonly throttledSentAt: number[];
  /** The controller's rate every 250 ms (only with BENCH_TRACE=1, for tuning). */
  readonly rateTrace?: number[];
}

interface CallTiming {
  readonly order: number;
  readonly wantAt: number;
  readonly sentAt: number;
}

/**
 * Client-added latency per call, against a perfect sender.
 *
 * A call "wants to send" when the pipeline hands it to the executor: at the start of the run for a
 * resource's first call, and when the previous call of the same resource succeeded for the next one.
 * A perfect client sends calls first come first served at exactly `idealQps`, with no throttles and
 * no retries: its k-th call starts at max(wantAt_k, start_(k-1) + 1/idealQps). The client-added latency
 * of a call is when the attempt that succeeded was handed to the HTTP client, minus when the perfect
 * client would have sent it, floored at 0. The API's own time (that attempt's round trip) is thereby
 * left out, and so is the queueing any client must do when more work is ready than the limit allows;
 * what remains is pacing error, time lost to throttled or failed attempts and backoff, and any rate
 * below the limit.
 */
export function addedLatencies(
  manifest: Manifest,
  attempts: ReadonlyMap<string, readonly AttemptRecord[]>,
  firstSentAt: number,
  idealQps: number,
): number[] {
  const calls: CallTiming[] = [];
  let order = 0;
  for (const resource of planManifest(manifest).resources) {
    let wantAt = firstSentAt;
    for (const tags of resource.calls) {
      const list = attempts.get(callKey(resource.resourceId, tags[0]?.key ?? ''));
      const last = list?.[list.length - 1];
      if (last?.outcome !== 'ok') break; // the resource stopped here; it counts as failed
      calls.push({ order: order++, wantAt, sentAt: last.sentAt });
      wantAt = last.doneAt;
    }
  }
  calls.sort((a, b) => a.wantAt - b.wantAt || a.order - b.order);
  const intervalMs = 1000 / idealQps;
  const added: number[] = [];
  let idealStart = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    idealStart = Math.max(call.wantAt, idealStart + intervalMs);
    added.push(Math.max(0, call.sentAt - idealStart));
  }
  return added;
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
