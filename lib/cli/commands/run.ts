import { parseArgs } from 'node:util';
import { defaultCredentialsChain } from '../../alibaba/credentials.ts';
import { loadConfig } from '../../config.ts';
import { ConfigError } from '../../core/errors.ts';
import { CALL_FLAGS, callSettings } from '../call-settings.ts';
import { joinNegativeValues } from '../options.ts';
import { runCommand } from '../run-command.ts';
import type { CliCommand } from './command.ts';

/** `tag-cleanup run`. */
export const runCli: CliCommand = {
  name: 'run',
  summary: 'validate manifests and remove their tags (the main job)',
  usage: `tag-cleanup run <manifest.json>... | -  [options]

Validates every manifest first (nothing runs if one is invalid), plans the fewest RemoveTags calls of at
most five tags, runs them under adaptive rate control, and logs one outcome per resource.

  --dry-run            make no API call; show the calls each resource would need
  --endpoint URL       one ECS endpoint for every region (TAG_CLEANUP_ECS_ENDPOINT)
  --max-qps N          ceiling of the adaptive rate, calls/s, at least 0.5 (TAG_CLEANUP_MAX_QPS)
  --concurrency N      calls in flight at most (TAG_CLEANUP_CONCURRENCY, default 64)
  --max-attempts N     attempts per call, retries included (TAG_CLEANUP_MAX_ATTEMPTS, default 6)
  --report FILE        also write every outcome to FILE (.csv or .json), checked before any call

Ctrl-C (or SIGTERM) starts no new call, lets calls in flight finish, reports every resource (the rest as
deferred) and exits 130 (143); a second one quits at once.
Exit codes: 0 every resource removed (or planned), 1 some resource was not, 2 invalid input, options or
credentials.`,
  async main(args, context) {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args),
      allowPositionals: true,
      options: { ...CALL_FLAGS, 'dry-run': { type: 'boolean', default: false }, report: { type: 'string' } },
    });
    if (positionals.length === 0) throw new ConfigError('run needs at least one manifest file (or - for stdin)');
    const { exitCode } = await runCommand(
      {
        ...callSettings(values, loadConfig(context.env)),
        files: positionals,
        dryRun: values['dry-run'],
        ...(values.report !== undefined && { report: values.report }),
      },
      {
        stdout: context.stdout,
        stderr: context.stderr,
        credentials: defaultCredentialsChain(context.env),
        signal: context.signal,
      },
    );
    return exitCode;
  },
};
