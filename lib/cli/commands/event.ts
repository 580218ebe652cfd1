import { parseArgs } from 'node:util';
import { defaultCredentialsChain } from '../../alibaba/credentials.ts';
import { loadConfig, loadSelfPrincipalId } from '../../config.ts';
import { ConfigError } from '../../core/errors.ts';
import { CALL_FLAGS, callSettings } from '../call-settings.ts';
import { joinNegativeValues } from '../options.ts';
import type { CliCommand } from './command.ts';

/** `tag-cleanup event`. */
export const eventCli: CliCommand = {
  name: 'event',
  summary: 'apply a tag policy to saved EventBridge events, as the event adapter does',
  usage: `tag-cleanup event <events.json>... | -  --policy FILE [--dry-run] [options]

Resolves the ECS resources each saved CloudEvent is about (ActionTrail calls, instance state changes,
Cloud Config notifications), reads their current tags with ListTagResources, applies the policy and runs
the removals with the same outcome lines as run (or plans them with --dry-run). Ignored events are logged
as event.ignored with their reason.

  --policy FILE        the tag policy, YAML or JSON (see policies/)
  --dry-run            list the tags, then log planned outcomes; no RemoveTags call
  --endpoint URL, --max-qps N, --concurrency N, --max-attempts N   as for run

Exit codes: 0 everything matched was removed (or planned), 1 some resource was not or a listing failed,
2 invalid events, policy, options or credentials; 130/143 interrupted.`,
  async main(args, context) {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args),
      allowPositionals: true,
      options: {
        policy: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        ...CALL_FLAGS,
      },
    });
    if (values.policy === undefined) throw new ConfigError('event needs --policy FILE');
    if (positionals.length === 0) throw new ConfigError('event needs at least one events file (or - for stdin)');
    const settings = callSettings(values, loadConfig(context.env));
    const selfPrincipalId = loadSelfPrincipalId(context.env);
    // The policy parser loads only for this command, so `run` starts fast.
    const { eventCommand } = await import('../event-command.ts');
    return eventCommand(
      {
        ...settings,
        files: positionals,
        policyFile: values.policy,
        dryRun: values['dry-run'],
        ...(selfPrincipalId !== undefined && { selfPrincipalId }),
      },
      {
        stdout: context.stdout,
        stderr: context.stderr,
        credentials: defaultCredentialsChain(context.env),
        signal: context.signal,
      },
    );
  },
};
