import type { CredentialsSource } from '../alibaba/credentials.ts';
import { CredentialsError, messageOf } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.ts';
import { planManifest } from '../core/plan.ts';
import { exitCodeFor, type RunReport, runManifests } from '../engine/run-manifests.ts';
import type { Logger } from '../logger.ts';
import { type CallSettings, ecsClientFor, removalExecutor } from './call-settings.ts';
import { ProgressMeter } from './progress.ts';
import { type LoadedManifest, readManifests } from './read-manifests.ts';
import { reportPathProblem, writeReport } from './report-file.ts';
import { terminalLogger } from './terminal-logger.ts';

/** Options of `tag-cleanup run`, already validated. */
export interface RunCommandOptions extends CallSettings {
  readonly files: readonly string[];
  readonly dryRun: boolean;
  readonly report?: string;
}

/** Where the command reads and writes; tests pass their own. */
export interface RunCommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly credentials: CredentialsSource;
  readonly readStdin?: () => Promise<string>;
  /** Overrides the logger built from stdout (tests capture lines through it). */
  readonly logger?: Logger;
  /** Aborted on Ctrl-C or SIGTERM: no new call starts, and every resource is still reported. */
  readonly signal?: AbortSignal;
}

/**
 * `tag-cleanup run`: exit 0 when all removed (or planned), 1 when any resource was not, 2 for bad input,
 * 130/143 when interrupted by SIGINT/SIGTERM (after reporting every resource).
 */
export async function runCommand(
  options: RunCommandOptions,
  io: RunCommandIo,
): Promise<{ exitCode: number; report?: RunReport }> {
  const manifests = await validInput(options, io);
  if (manifests === undefined) return { exitCode: 2 };

  const executor = removalExecutor(options);
  const total = io.stderr.isTTY ? manifests.reduce((n, m) => n + countResources(m), 0) : 0;
  const progress = new ProgressMeter(io.stderr, total, () => executor.rate.rateQps);
  const logger = io.logger ?? terminalLogger(io.stdout, options.logLevel, () => progress.clearLine());
  const client = ecsClientFor(options, io.credentials);
  try {
    const report = await runManifests(manifests, {
      client,
      logger,
      executor,
      onResult: (r) => progress.record(r),
      ...(io.signal && { signal: io.signal }),
    });
    progress.stop();
    if (report.fatal) {
      io.stderr.write(
        `tag-cleanup: stopped calling the API after ${report.fatal.code}: ${report.fatal.message}; ` +
          'the remaining resources are reported as deferred\n',
      );
    }
    if (options.report !== undefined) await writeReport(options.report, report.outcomes, report.summaries);
    return { exitCode: exitCodeFor(report), report };
  } finally {
    progress.stop();
    client.close();
  }
}

/**
 * Everything checked before the first call: the manifests (all of them, nothing runs if one is bad), the
 * report path, unique manifest ids, and credentials. Problems go to stderr; undefined means exit 2.
 */
async function validInput(options: RunCommandOptions, io: RunCommandIo): Promise<Manifest[] | undefined> {
  const fail = (...lines: string[]) => {
    for (const line of lines) io.stderr.write(`tag-cleanup: ${line}\n`);
    return undefined;
  };
  const problem = options.report === undefined ? undefined : await reportPathProblem(options.report);
  if (problem !== undefined) return fail(problem);
  const { loaded, problems } = await readManifests(options.files, {
    maxResources: options.maxResources,
    ...(io.readStdin && { readStdin: io.readStdin }),
  });
  if (problems.length > 0) {
    return fail(...problems.map((p) => `${p.source}: ${p.message}`), 'nothing was run because a manifest is invalid');
  }
  const clash = duplicateIds(loaded);
  if (clash.length > 0) return fail(...clash, 'nothing was run: manifest ids must be unique within a run');
  const manifests = loaded.map((l) =>
    options.dryRun && !l.manifest.dryRun ? { ...l.manifest, dryRun: true } : l.manifest,
  );
  if (manifests.some((m) => !m.dryRun)) {
    try {
      await io.credentials(); // fail fast, before any manifest starts, with the chain's own explanation
    } catch (error) {
      return fail(error instanceof CredentialsError ? error.message : messageOf(error));
    }
  }
  return manifests;
}

/** One line per manifest id used by more than one file: their outcome lines could not be told apart. */
function duplicateIds(loaded: readonly LoadedManifest[]): string[] {
  const sources = new Map<string, string[]>();
  for (const l of loaded) sources.set(l.manifest.manifestId, [...(sources.get(l.manifest.manifestId) ?? []), l.source]);
  return [...sources]
    .filter(([, files]) => files.length > 1)
    .map(([id, files]) => `manifestId ${JSON.stringify(id)} appears in ${files.join(' and ')}`);
}

function countResources(manifest: Manifest): number {
  const plan = planManifest(manifest);
  return plan.resources.length + plan.rejected.length;
}
