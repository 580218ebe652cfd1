import { type LogRecord, text } from './log-record.ts';

/** The continuations the outcome lines name, and those no invocation ever ran. */
export interface ContinuationCheck {
  readonly sent: number;
  readonly neverRun: readonly string[];
}

/** A continuation ran when some outcome line carries its message id. */
export function checkContinuations(outcomes: readonly LogRecord[]): ContinuationCheck {
  const seenMessages = new Set(outcomes.map((l) => text(l.messageId)).filter((id) => id !== undefined));
  const continuationIds = new Set(
    outcomes.flatMap((l) => (text(l.continuationMessageId) ?? '').split(',').filter((id) => id !== '')),
  );
  const neverRun = [...continuationIds].filter((id) => !seenMessages.has(id));
  return { sent: continuationIds.size, neverRun };
}
