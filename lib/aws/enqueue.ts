import { readFile as fsReadFile } from 'node:fs/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { readStdin } from '../cli/read-stdin.ts';
import { ManifestError, MessageTooLargeError, messageOf, type ValidationIssue } from '../core/errors.ts';
import { type ParseManifestOptions, parseManifest } from '../core/manifest/parse.ts';
import { serializeManifest } from '../core/manifest/wire.ts';
import { escapeJsonText, sqsBody } from './sqs-body.ts';
import { type SendOptions, sendMessages } from './sqs-send.ts';
import { ATTRIBUTE_HEADROOM_BYTES, splitWireManifest, utf8Bytes } from './sqs-split.ts';

/** Exit codes of `tag-cleanup enqueue`. */
export const ENQUEUE_EXIT = { ok: 0, notSent: 1, invalid: 2 } as const;

export interface EnqueueArgs {
  /** Manifest files; `-` reads standard input (once). */
  readonly files: readonly string[];
  readonly queueUrl: string;
  readonly sqs: SQSClient;
  /** The queue's MaximumMessageSize; bigger manifests are split into parts. */
  readonly maxMessageBytes: number;
  /** Reads one manifest. @default the file system, and standard input for `-` */
  readonly readFile?: (file: string) => Promise<string | Uint8Array>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly parseOptions?: ParseManifestOptions;
  /** Retry and batching knobs for the send. @default sendMessages' defaults */
  readonly sendOptions?: SendOptions;
}

interface Prepared {
  readonly file: string;
  readonly bodies: readonly string[];
}

/**
 * `tag-cleanup enqueue <manifest.json>... --queue-url URL`: validates every manifest first and sends
 * nothing if any is invalid (exit 2, one `<file>: <path>: <reason>` line per problem on `err`). Then splits
 * manifests too big for one message, sends all with SendMessageBatch (retrying failed entries), prints
 * `<file> -> <messageId>` per message on `out`, and exits 1 if anything could not be sent, else 0.
 * Entries that would be rejected on their own also count as invalid here: the wire form does not carry
 * them, so sending the rest would drop them silently.
 */
export async function runEnqueue(args: EnqueueArgs): Promise<number> {
  const read = args.readFile ?? defaultReadFile;
  if (args.files.length === 0) {
    args.err('enqueue: no manifest files given (use - for standard input)');
    return ENQUEUE_EXIT.invalid;
  }
  if (args.files.filter((f) => f === '-').length > 1) {
    args.err('enqueue: standard input (-) can be read only once');
    return ENQUEUE_EXIT.invalid;
  }

  const prepared: Prepared[] = [];
  let invalid = false;
  for (const file of args.files) {
    const result = await prepare(file, read, args);
    if ('problems' in result) {
      invalid = true;
      for (const line of result.problems) args.err(`${file}: ${line}`);
    } else prepared.push(result);
  }
  if (invalid) return ENQUEUE_EXIT.invalid;

  const messages = prepared.flatMap((p) => p.bodies.map((body) => ({ body })));
  // Index of each message back to its file and part, for the report lines.
  const origin = prepared.flatMap((p) => p.bodies.map((_, part) => ({ file: p.file, part, count: p.bodies.length })));
  const result = await sendMessages(args.sqs, args.queueUrl, messages, args.sendOptions);

  const sentByIndex = new Map(result.sent.map((s) => [s.index, s.messageId]));
  const failedByIndex = new Map(result.failed.map((f) => [f.index, f]));
  origin.forEach((o, index) => {
    const messageId = sentByIndex.get(index);
    if (messageId !== undefined) {
      args.out(`${o.file} -> ${messageId}`);
      return;
    }
    const failure = failedByIndex.get(index);
    const which = o.count > 1 ? `part ${o.part + 1} of ${o.count}` : 'manifest';
    args.err(`${o.file}: ${which} not sent: ${failure?.code ?? 'UnknownError'}: ${failure?.message ?? 'no result'}`);
  });
  if (result.failed.length > 0 || result.sent.length < messages.length) {
    args.err(`enqueue: ${messages.length - result.sent.length} of ${messages.length} messages not sent`);
    return ENQUEUE_EXIT.notSent;
  }
  return ENQUEUE_EXIT.ok;
}

/** Reads, validates and splits one manifest; input problems come back as lines, not errors. */
async function prepare(
  file: string,
  read: (file: string) => Promise<string | Uint8Array>,
  args: EnqueueArgs,
): Promise<Prepared | { problems: string[] }> {
  let raw: string | Uint8Array;
  try {
    raw = await read(file);
  } catch (error) {
    return { problems: [`cannot read: ${messageOf(error)}`] };
  }
  try {
    const manifest = parseManifest(raw, args.parseOptions);
    // The text as sent: no byte-order mark (it is not JSON), and escaped like every other body.
    const text = escapeJsonText(
      (typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')).replace(/^\uFEFF/, ''),
    );
    if (manifest.rejected.length > 0) {
      // Invalid entries travel as they are, so the handler logs each as `rejected` and none vanishes;
      // a split would have to rewrite them, so a manifest that must be split has to be fixed first.
      if (utf8Bytes(text) + ATTRIBUTE_HEADROOM_BYTES > args.maxMessageBytes) {
        return { problems: manifest.rejected.flatMap((r) => r.issues.map(issueLine)) };
      }
      for (const r of manifest.rejected)
        for (const issue of r.issues)
          args.err(`${file}: warning: ${issueLine(issue)} (sent; it will be reported as rejected)`);
      return { file, bodies: [text] };
    }
    const parts = splitWireManifest(serializeManifest(manifest), args.maxMessageBytes);
    return { file, bodies: parts.map((part) => sqsBody(part)) };
  } catch (error) {
    if (error instanceof ManifestError) return { problems: error.issues.map(issueLine) };
    if (error instanceof MessageTooLargeError || error instanceof RangeError) return { problems: [error.message] };
    throw error;
  }
}

function issueLine(issue: ValidationIssue): string {
  return issue.path === '' ? issue.reason : `${issue.path}: ${issue.reason}`;
}

async function defaultReadFile(file: string): Promise<Uint8Array> {
  return file === '-' ? readStdin() : fsReadFile(file);
}
