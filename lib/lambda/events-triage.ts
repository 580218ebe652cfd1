/** The records an event batch settles without listing anything: ignored ones logged, poison dead-lettered. */
import type { SQSRecord } from 'aws-lambda';
import { sendToDlq } from '../aws/send-to-dlq.ts';
import { messageOf } from '../core/errors.ts';
import { parseCloudEvent } from '../core/events/cloud-event.ts';
import type { EventResolution, IgnoredReason, IgnoredResolution } from '../core/events/types.ts';
import type { QueueSender } from '../core/ports.ts';
import type { Logger } from '../logger.ts';

/** The DLQ code of an event that can never be parsed. */
export const INVALID_EVENT_CODE = 'InvalidEvent';

/** What the triage did. */
export interface Triage {
  /** Ignored events per reason. */
  readonly ignored: Partial<Record<IgnoredReason, number>>;
  /** Poison records, whether or not the DLQ took them. */
  readonly poison: number;
  /** Positions of poison records the DLQ did not take: SQS must redeliver them. */
  readonly failedIndexes: readonly number[];
}

/** Logs one `event.ignored` line: the reason, the event's id, source and type, never its body. */
export function logIgnored(log: Logger, resolution: IgnoredResolution, input: unknown, messageId?: string): void {
  const parsed = parseCloudEvent(input);
  log.info(
    {
      event: 'event.ignored',
      reason: resolution.reason,
      eventId: resolution.eventId,
      source: resolution.source,
      ...(parsed.ok && { type: parsed.event.type }),
      ...(messageId !== undefined && { messageId }),
    },
    'event.ignored',
  );
}

/** Counts ignored events per reason. */
export function countIgnored(outcomes: readonly EventResolution[]): Partial<Record<IgnoredReason, number>> {
  const ignored: Partial<Record<IgnoredReason, number>> = {};
  for (const o of outcomes) if (o.kind === 'ignored') ignored[o.reason] = (ignored[o.reason] ?? 0) + 1;
  return ignored;
}

/**
 * Logs every ignored record (acknowledged) and sends every poison record to the events DLQ with its
 * reason (acknowledged once there; left to SQS's redrive when that send fails).
 */
export async function triageRecords(
  outcomes: readonly EventResolution[],
  records: readonly SQSRecord[],
  target: { readonly queue: QueueSender; readonly eventsDlqUrl: string },
  log: Logger,
): Promise<Triage> {
  const failedIndexes: number[] = [];
  let poison = 0;
  await Promise.all(
    outcomes.map(async (outcome, index) => {
      const record = records[index];
      if (record === undefined) return;
      if (outcome.kind === 'ignored') logIgnored(log, outcome, record.body, record.messageId);
      if (outcome.kind !== 'poison') return;
      poison += 1;
      if (!(await deadLetter(record, outcome.reason, target, log))) failedIndexes.push(index);
    }),
  );
  return { ignored: countIgnored(outcomes), poison, failedIndexes: failedIndexes.sort((a, b) => a - b) };
}

async function deadLetter(
  record: SQSRecord,
  reason: string,
  target: { readonly queue: QueueSender; readonly eventsDlqUrl: string },
  log: Logger,
): Promise<boolean> {
  const dlqReason = { code: INVALID_EVENT_CODE, message: reason, source: record.messageId };
  try {
    const deadLetterMessageId = await sendToDlq(target.queue, target.eventsDlqUrl, record.body, dlqReason);
    log.warn({ event: 'event.poison', messageId: record.messageId, reason, deadLetterMessageId }, 'event.poison');
    return true;
  } catch (error) {
    log.error(
      {
        event: 'event.poison',
        messageId: record.messageId,
        reason,
        error: { code: 'DlqSendFailed', message: messageOf(error) },
      },
      'event.poison',
    );
    return false;
  }
}
