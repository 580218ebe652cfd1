import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.ts';
import { ConfigError } from '../../core/errors.ts';
import { urlFlag } from '../options.ts';
import type { CliCommand } from './command.ts';

/** `tag-cleanup enqueue`. */
export const enqueueCli: CliCommand = {
  name: 'enqueue',
  summary: 'validate manifests and send them to the work queue for the Lambda',
  usage: `tag-cleanup enqueue <manifest.json>... | -  --queue-url URL

Validates every manifest (nothing is sent if one is invalid), splits any manifest too large for one
message, and sends them with SendMessageBatch; prints "<file> -> <messageId>" per message.

  --queue-url URL      the work queue (required)

The AWS region comes from AWS_REGION (or the queue URL); AWS_ENDPOINT_URL_SQS points at another SQS.
Exit codes: 0 all sent, 1 some message not sent, 2 invalid manifest or options.`,
  async main(args, context) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { 'queue-url': { type: 'string' } },
    });
    const queueUrl = urlFlag('queue-url', values['queue-url']);
    if (queueUrl === undefined) throw new ConfigError('enqueue needs --queue-url URL');
    if (positionals.length === 0) throw new ConfigError('enqueue needs at least one manifest file (or - for stdin)');
    const config = loadConfig(context.env);
    // The SQS SDK is loaded only by the commands that send, so `run` starts fast.
    const { createSqsClient } = await import('../../aws/sqs-client.ts');
    const { runEnqueue } = await import('../../aws/enqueue.ts');
    const sqs = createSqsClient(config, queueUrl);
    try {
      return await runEnqueue({
        files: positionals,
        queueUrl,
        sqs,
        maxMessageBytes: config.maxMessageBytes,
        parseOptions: { maxResources: config.maxResources },
        out: (line) => context.stdout.write(`${line}\n`),
        err: (line) => context.stderr.write(`${line}\n`),
      });
    } finally {
      sqs.destroy();
    }
  },
};
