/** The demo's second act: a compliance sweep of the example policy, a dry run first, then for real. */
import type { CredentialsSource } from '../../lib/alibaba/credentials.ts';
import { type SweepCommandOptions, type SweepMode, sweepCommand } from '../../lib/cli/sweep-command.ts';
import { evaluateResource } from '../../lib/core/policy/evaluate-resource.ts';
import type { Policy } from '../../lib/core/policy/policy.ts';
import { loadPolicyFile } from '../../lib/policy-file.ts';
import type { InventoryFile, RunningEmulator } from '../emulator/server.ts';
import { renderTagChanges, resourceKey, type ShownResource } from './render-tags.ts';

export interface DemoSweepOptions {
  readonly policyFile: string;
  /** How the policy file is named on screen. */
  readonly policyName: string;
  readonly credentials: CredentialsSource;
  readonly logLevel: string;
}

/** The exit codes of the two sweeps. */
export interface DemoSweepResult {
  readonly dryRunExitCode: number;
  readonly exitCode: number;
}

/**
 * Sweeps the emulator with the example policy: a dry run (with the table of what it would remove when
 * stdout is a terminal), then the real sweep, then the tags before and after of every resource the policy
 * changes, protects or excludes.
 */
export async function runDemoSweep(
  emulator: RunningEmulator,
  options: DemoSweepOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; human: NodeJS.WritableStream },
): Promise<DemoSweepResult> {
  const { human } = io;
  const { policy } = await loadPolicyFile(options.policyFile);
  const before = emulator.snapshot();
  const sweepIo = { stdout: io.stdout, stderr: io.stderr, credentials: options.credentials };
  const sweep = (mode: SweepMode) => sweepCommand(sweepOptions(emulator, options, mode), sweepIo);

  human.write(`\nCompliance sweep with ${options.policyName}: first a dry run, which lists and removes nothing\n`);
  const removalsBefore = removeTagsCalls(emulator);
  const dryRunExitCode = await sweep({ kind: 'dry-run' });
  human.write(`the dry run made ${removeTagsCalls(emulator) - removalsBefore} RemoveTags call(s)\n`);

  human.write('\nNow the sweep itself\n');
  const exitCode = await sweep({ kind: 'run' });
  human.write(
    `\nTags before → after the sweep (emulator state):\n` +
      `${renderTagChanges(before, emulator.snapshot(), verdicts(policy, before))}\n` +
      `\`tag-cleanup sweep\` exited ${dryRunExitCode} for the dry run and ${exitCode} for the sweep\n`,
  );
  return { dryRunExitCode, exitCode };
}

function sweepOptions(emulator: RunningEmulator, options: DemoSweepOptions, mode: SweepMode): SweepCommandOptions {
  return {
    policyFile: options.policyFile,
    regions: [],
    mode,
    force: false,
    endpoint: emulator.url,
    // A ceiling from the start skips the rate controller's slow start: the demo stays quick.
    maxQps: 50,
    concurrency: 8,
    maxAttempts: 6,
    requestTimeoutMs: 2000,
    maxResources: 10_000,
    logLevel: options.logLevel,
  };
}

function removeTagsCalls(emulator: RunningEmulator): number {
  const removals = emulator.stats().byAction.RemoveTags;
  return (removals?.ok ?? 0) + (removals?.errors ?? 0) + (removals?.throttled ?? 0) + (removals?.dropped ?? 0);
}

/** Every resource the policy changes, protects or excludes, with what it does to it. */
function verdicts(policy: Policy, inventory: InventoryFile): ShownResource[] {
  return inventory.resources.flatMap((r) => {
    const verdict = evaluateResource(policy, {
      ...r,
      tags: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
    });
    const key = resourceKey(r);
    if (verdict.kind === 'protected') return [{ key, note: `protected by ${verdict.tag.key}=${verdict.tag.value}` }];
    if (verdict.kind === 'excluded') return [{ key, note: 'excluded by id' }];
    if (verdict.kind === 'remove') return [{ key, note: `removes ${verdict.tags.map((t) => t.key).join(', ')}` }];
    return [];
  });
}
