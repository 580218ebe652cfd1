import type { OutgoingMessage, QueueSender, SendResult } from '../../../lib/core/ports.ts';

/** A message the fake queue accepted. */
export interface QueuedMessage extends OutgoingMessage {
  readonly messageId: string;
}

/** Which sends fail, and with what. */
export interface SendFailureRule {
  /** Only sends to this queue. @default every queue */
  readonly queueUrl?: string;
  /** Matching sends that fail before the rule is used up. @default unlimited */
  readonly times?: number;
  /** The per-message failure code, as SQS would report it. @default 'ServiceUnavailable' */
  readonly code?: string;
  /** Throw from `send` instead of reporting each message failed (a bug or a crash in the adapter). */
  readonly throws?: boolean;
}

/**
 * An in-memory queue behind the QueueSender port: messages recorded per queue URL, in order, and sends
 * that can be scripted to fail. Like SqsQueueSender it reports per-message failures instead of throwing.
 */
export class FakeQueue implements QueueSender {
  /** Every send call, accepted or not. */
  readonly sends: { readonly queueUrl: string; readonly messages: readonly OutgoingMessage[] }[] = [];
  readonly #queues = new Map<string, QueuedMessage[]>();
  readonly #rules: { rule: SendFailureRule; left: number }[] = [];
  #nextId = 1;

  /** Scripts failures; the first matching rule that is not used up decides. */
  fail(...rules: SendFailureRule[]): this {
    for (const rule of rules) this.#rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** The messages accepted for `queueUrl`, in the order sent. */
  messages(queueUrl: string): readonly QueuedMessage[] {
    return this.#queues.get(queueUrl) ?? [];
  }

  /** The bodies accepted for `queueUrl`, parsed as JSON. */
  bodies(queueUrl: string): unknown[] {
    return this.messages(queueUrl).map((m) => JSON.parse(m.body) as unknown);
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendResult> {
    this.sends.push({ queueUrl, messages });
    const rule = this.#take(queueUrl);
    if (rule?.throws === true) throw new Error(`fake send to ${queueUrl} crashed`);
    if (rule) {
      const code = rule.code ?? 'ServiceUnavailable';
      return { sent: [], failed: messages.map((_, index) => ({ index, code, message: `fake ${code}` })) };
    }
    const queue = this.#queues.get(queueUrl) ?? [];
    this.#queues.set(queueUrl, queue);
    const sent = messages.map((message, index) => {
      const messageId = `msg-${this.#nextId++}`;
      queue.push({ ...message, messageId });
      return { index, messageId };
    });
    return { sent, failed: [] };
  }

  #take(queueUrl: string): SendFailureRule | undefined {
    const match = this.#rules.find(
      ({ rule, left }) => left > 0 && (rule.queueUrl === undefined || rule.queueUrl === queueUrl),
    );
    if (!match) return undefined;
    match.left -= 1;
    return match.rule;
  }
}
