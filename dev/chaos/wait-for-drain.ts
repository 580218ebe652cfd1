import { setTimeout as delay } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth } from '../local/queue-depth.ts';

/** What {@link waitForDrain} watches. */
export interface DrainWatch {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** True while some container still runs a handler. */
  readonly busy: () => boolean;
  readonly startedAt: number;
  /** Give up after this long from `startedAt`. */
  readonly timeLimitMs: number;
  /** How long the queue must stay empty, with no handler running, to count as drained. */
  readonly idleMs: number;
  /** How many outcome lines the handlers have logged, for the progress line. */
  readonly outcomeLines: () => number;
  readonly say: (line: string) => void;
}

const POLL_MS = 250;
const PROGRESS_EVERY_MS = 10_000;

/** Resolves true once the work queue has stayed empty and idle for `idleMs`, false at the time limit. */
export async function waitForDrain(watch: DrainWatch): Promise<boolean> {
  let idleSince: number | undefined;
  let lastReport = Date.now();
  while (Date.now() - watch.startedAt < watch.timeLimitMs) {
    const q = await queueDepth(watch.sqs, watch.queueUrl);
    const empty = q.visible + q.notVisible + q.delayed === 0 && !watch.busy();
    const now = Date.now();
    if (!empty) idleSince = undefined;
    else if (idleSince === undefined) idleSince = now;
    else if (now - idleSince >= watch.idleMs) return true;
    if (now - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = now;
      watch.say(
        `${((now - watch.startedAt) / 1000).toFixed(0)} s: queue ${q.visible} visible, ${q.notVisible} in flight, ` +
          `${q.delayed} delayed; ${watch.outcomeLines()} outcome lines`,
      );
    }
    await delay(POLL_MS);
  }
  return false;
}
