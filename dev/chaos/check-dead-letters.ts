import type { Message } from '@aws-sdk/client-sqs';
import { DLQ_ATTRIBUTES } from '../../lib/aws/send-to-dlq.ts';
import type { PoisonMessage } from './workload-types.ts';

/** A message found on the dead-letter queue. */
export interface DeadLetter {
  readonly body: string;
  readonly code?: string;
  readonly reason?: string;
}

/** What the DLQ holds: the poison messages, and anything else by code. */
export interface DeadLetterCheck {
  readonly poisonInDlq: number;
  /** Unfinished work that was dead-lettered, by code. */
  readonly otherDeadLetters: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

/** Reads a dead-letter message's reason attributes. */
export function deadLetterOf(message: Pick<Message, 'Body' | 'MessageAttributes'>): DeadLetter {
  const code = message.MessageAttributes?.[DLQ_ATTRIBUTES.code]?.StringValue;
  const reason = message.MessageAttributes?.[DLQ_ATTRIBUTES.reason]?.StringValue;
  return { body: message.Body ?? '', ...(code !== undefined && { code }), ...(reason !== undefined && { reason }) };
}

/** Every poison message must be in the DLQ with code InvalidManifest and a reason; nothing else may be. */
export function checkDeadLetters(
  poison: readonly PoisonMessage[],
  deadLetters: readonly DeadLetter[],
): DeadLetterCheck {
  const failures: string[] = [];
  let poisonInDlq = 0;
  for (const message of poison) {
    const found = deadLetters.some(
      (d) => d.body === message.body && d.code === 'InvalidManifest' && (d.reason ?? '') !== '',
    );
    if (found) poisonInDlq++;
    else failures.push(`poison message "${message.label}" is not in the DLQ with code InvalidManifest and a reason`);
  }
  const poisonBodies = new Set(poison.map((p) => p.body));
  const otherDeadLetters: Record<string, number> = {};
  for (const dead of deadLetters) {
    if (poisonBodies.has(dead.body)) continue;
    const code = dead.code ?? 'redriven without a reason';
    otherDeadLetters[code] = (otherDeadLetters[code] ?? 0) + 1;
  }
  for (const [code, count] of Object.entries(otherDeadLetters)) {
    failures.push(`${count} message(s) of unfinished work dead-lettered (${code})`);
  }
  return { poisonInDlq, otherDeadLetters, failures };
}
