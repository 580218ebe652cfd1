import { setTimeout as delay } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth } from './queue-depth.ts';

/** How {@link waitForQueueIdle} decides that the queue is idle. */
export interface RunUntilIdleOptions {
  /** How long the queue must stay empty with nothing in flight. @default 300 */
  readonly idleMs?: number;
  /** Rejects after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Pause between checks. @default 50 */
  readonly pollMs?: number;
}

/**
 * Resolves once the queue reports no visible, in-flight or delayed messages and `isBusy()` is false,
 * continuously for `idleMs`. Rejects after `timeoutMs`. fauxqs returns expired in-flight messages to the
 * queue only on the next receive, so something must keep receiving (the poller does) for this to settle.
 */
export async function waitForQueueIdle(
  args: RunUntilIdleOptions & {
    readonly sqs: SQSClient;
    readonly queueUrl: string;
    readonly isBusy?: () => boolean;
  },
): Promise<void> {
  const idleMs = args.idleMs ?? 300;
  const timeoutMs = args.timeoutMs ?? 60_000;
  const pollMs = args.pollMs ?? 50;
  const started = Date.now();
  let idleSince: number | undefined;
  let last = { visible: 0, notVisible: 0, delayed: 0 };
  for (;;) {
    last = await queueDepth(args.sqs, args.queueUrl);
    const empty = last.visible + last.notVisible + last.delayed === 0 && !(args.isBusy?.() ?? false);
    const now = Date.now();
    if (!empty) idleSince = undefined;
    else if (idleSince === undefined) idleSince = now;
    else if (now - idleSince >= idleMs) return;
    if (now - started >= timeoutMs) {
      throw new Error(
        `queue not idle after ${timeoutMs} ms: ${last.visible} visible, ${last.notVisible} in flight, ${last.delayed} delayed`,
      );
    }
    await delay(pollMs);
  }
}
