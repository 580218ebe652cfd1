/** The CloudEvents 1.0 envelope as Alibaba EventBridge sends it: the fields the job relies on, checked once. */
import * as z from 'zod';
import { formatIssues, type ValidationIssue } from '../errors.ts';
import { formatPath } from '../manifest/issues.ts';

/** A CloudEvent with its required attributes checked; everything else is kept as it came. */
export interface CloudEvent {
  readonly specversion: string;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** Alibaba's extension attribute: the region the event was emitted in. */
  readonly aliyunregionid?: unknown;
  readonly data?: unknown;
}

const requiredString = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .min(1, 'must not be empty');

// CloudEvents 1.0 requires these four, as non-empty strings; extension attributes pass through untouched.
const cloudEventSchema = z.looseObject(
  { specversion: requiredString, id: requiredString, source: requiredString, type: requiredString },
  { error: 'must be a CloudEvent object' },
);

/** The problems that keep `value` from being a CloudEvent, with paths under `prefix`; empty when it is one. */
export function cloudEventIssues(value: unknown, prefix: readonly PropertyKey[] = []): ValidationIssue[] {
  const parsed = cloudEventSchema.safeParse(value);
  return parsed.success ? [] : toIssues(parsed.error, prefix);
}

function toIssues(error: z.ZodError, prefix: readonly PropertyKey[]): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), reason: issue.message }));
}

/** The outcome of {@link parseCloudEvent}: the event, or a reason naming fields but never quoting input. */
export type ParsedCloudEvent =
  | { readonly ok: true; readonly event: CloudEvent }
  | { readonly ok: false; readonly reason: string };

/** Reads one queued event: JSON text (an SQS body) or an already-parsed value. */
export function parseCloudEvent(input: unknown): ParsedCloudEvent {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      // The parser's message quotes the input; the reason must not.
      return { ok: false, reason: 'not JSON' };
    }
  }
  const parsed = cloudEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, reason: `not a CloudEvent: ${formatIssues(toIssues(parsed.error, []))}` };
}
