import { parseArgs } from 'node:util';
import { defaultCredentialsChain } from '../../alibaba/credentials.ts';
import { loadConfig } from '../../config.ts';
import { ConfigError } from '../../core/errors.ts';
import { CALL_FLAGS, callSettings } from '../call-settings.ts';
import { joinNegativeValues, urlFlag } from '../options.ts';
import type { SweepMode } from '../sweep-command.ts';
import type { CliCommand } from './command.ts';

/** `tag-cleanup sweep`. */
export const sweepCli: CliCommand = {
  name: 'sweep',
  summary: 'find what a tag policy covers and clean it up (a compliance sweep)',
  usage: `tag-cleanup sweep --policy FILE [--region R]... [options]
                  [--dry-run | --out DIR | --enqueue --queue-url URL] [--report FILE] [--force]

Lists each region with DescribeTags and ListTagResources (only the keys the policy matches), applies the
policy (protect, exclude, the maxResources brake), and removes what it matched through the same pipeline
as run. Ends with one sweep.summary line.

  --policy FILE        the tag policy, YAML or JSON (see policies/)
  --region R           sweep only this region of the policy (repeatable)
  --dry-run            list, then log one planned outcome per resource; no RemoveTags call
  --out DIR            write the manifests to DIR for review or a later run; no RemoveTags call
  --enqueue            send the manifests to the work queue (--queue-url) for the Lambda
  --force              lift the policy's maxResources brake
  --endpoint URL, --max-qps N, --concurrency N, --max-attempts N, --report FILE   as for run

Exit codes: 0 everything matched was removed (or planned, written, enqueued), 1 a resource failed, the
brake refused or the listing was incomplete, 2 invalid policy, options or credentials; 130/143 interrupted.`,
  async main(args, context) {
    const { values } = parseArgs({
      args: joinNegativeValues(args),
      options: {
        policy: { type: 'string' },
        region: { type: 'string', multiple: true, default: [] },
        'dry-run': { type: 'boolean', default: false },
        out: { type: 'string' },
        enqueue: { type: 'boolean', default: false },
        'queue-url': { type: 'string' },
        force: { type: 'boolean', default: false },
        report: { type: 'string' },
        ...CALL_FLAGS,
      },
    });
    if (values.policy === undefined) throw new ConfigError('sweep needs --policy FILE');
    const config = loadConfig(context.env);
    const mode = sweepMode(values, config.maxMessageBytes);
    // The policy parser and the SQS SDK load only for this command, so `run` starts fast.
    const { sweepCommand } = await import('../sweep-command.ts');
    const aws = mode.kind === 'enqueue' ? await loadSqs() : undefined;
    const sqs = mode.kind === 'enqueue' ? aws?.createSqsClient(config, mode.queueUrl) : undefined;
    try {
      return await sweepCommand(
        {
          ...callSettings(values, config),
          policyFile: values.policy,
          regions: values.region,
          mode,
          force: values.force,
          ...(values.report !== undefined && { report: values.report }),
        },
        {
          stdout: context.stdout,
          stderr: context.stderr,
          credentials: defaultCredentialsChain(context.env),
          signal: context.signal,
          ...(sqs && aws && { queue: new aws.SqsQueueSender(sqs) }),
        },
      );
    } finally {
      sqs?.destroy();
    }
  },
};

async function loadSqs() {
  const [{ createSqsClient }, { SqsQueueSender }] = await Promise.all([
    import('../../aws/sqs-client.ts'),
    import('../../aws/sqs-send.ts'),
  ]);
  return { createSqsClient, SqsQueueSender };
}

function sweepMode(
  values: { 'dry-run': boolean; out?: string | undefined; enqueue: boolean; 'queue-url'?: string | undefined },
  maxMessageBytes: number,
): SweepMode {
  const chosen = [values['dry-run'] && '--dry-run', values.out !== undefined && '--out', values.enqueue && '--enqueue'];
  const modes = chosen.filter((m): m is string => typeof m === 'string');
  if (modes.length > 1)
    throw new ConfigError(`sweep takes one of --dry-run, --out, --enqueue (got ${modes.join(' and ')})`);
  if (values['queue-url'] !== undefined && !values.enqueue) throw new ConfigError('--queue-url goes with --enqueue');
  if (values['dry-run']) return { kind: 'dry-run' };
  if (values.out !== undefined) {
    if (values.out.trim() === '') throw new ConfigError('--out needs a directory');
    return { kind: 'out', dir: values.out };
  }
  if (!values.enqueue) return { kind: 'run' };
  const queueUrl = urlFlag('queue-url', values['queue-url']);
  if (queueUrl === undefined) throw new ConfigError('--enqueue needs --queue-url URL');
  return { kind: 'enqueue', queueUrl, maxMessageBytes };
}
