import { EcsClient } from '../alibaba/client.ts';
import type { CredentialsSource } from '../alibaba/credentials.ts';
import { CredentialsError, messageOf } from '../core/errors.ts';
import { planManifest } from '../core/plan.ts';
import { AdaptiveRateController } from '../engine/rate-controller.ts';
import { exitCodeFor, type RunReport, runManifests } from '../engine/run-manifests.ts';
import { createLogger, type Logger } from '../logger.ts';
import { prettyDestination } from './pretty.ts';
import { ProgressMeter } from './progress.ts';
import { readManifests } from './read-manifests.ts';
import { writeReport } from './report-file.ts';

/** Options of `tag-cleanup run`, already validated. */
export interface RunCommandOptions {
  readonly files: readonly string[];
  readonly dryRun: boolean;
  readonly endpoint?: string;
  readonly maxQps?: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly maxResources: number;
  readonly report?: string;
  readonly logLevel: string;
}

/** Where the command reads and writes; tests pass their own. */
export interface RunCommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly credentials: CredentialsSource;
  readonly readStdin?: () => Promise<string>;
  /** Overrides the logger built from stdout (tests capture lines through it). */
  readonly logger?: Logger;
}

/** `tag-cleanup run`: exit 0 when all removed (or planned), 1 when any resource was not, 2 for bad input. */
export async function runCommand(
  options: RunCommandOptions,
  io: RunCommandIo,
): Promise<{ exitCode: number; report?: RunReport }> {
  const { loaded, problems } = await readManifests(options.files, {
    maxResources: options.maxResources,
    ...(io.readStdin && { readStdin: io.readStdin }),
  });
  if (problems.length > 0) {
    for (const p of problems) io.stderr.write(`tag-cleanup: ${p.source}: ${p.message}\n`);
    io.stderr.write('tag-cleanup: nothing was run because a manifest is invalid\n');
    return { exitCode: 2 };
  }
  const manifests = loaded.map((l) =>
    options.dryRun && !l.manifest.dryRun ? { ...l.manifest, dryRun: true } : l.manifest,
  );

  if (manifests.some((m) => !m.dryRun)) {
    try {
      await io.credentials(); // fail fast, before any manifest starts, with the chain's own explanation
    } catch (error) {
      const message = error instanceof CredentialsError ? error.message : messageOf(error);
      io.stderr.write(`tag-cleanup: ${message}\n`);
      return { exitCode: 2 };
    }
  }

  const logger =
    io.logger ??
    createLogger({
      level: options.logLevel,
      // The default destination writes to fd 1 synchronously; any other stdout must get the lines itself.
      ...(io.stdout.isTTY
        ? { destination: prettyDestination(io.stdout) }
        : io.stdout !== process.stdout && { destination: io.stdout }),
    });
  const client = new EcsClient({
    credentials: io.credentials,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
  });
  const rate = new AdaptiveRateController(options.maxQps !== undefined ? { maxQps: options.maxQps } : {});
  const total = io.stderr.isTTY ? manifests.reduce((n, m) => n + countResources(m), 0) : 0;
  const progress = new ProgressMeter(io.stderr, total, () => rate.rateQps);
  try {
    const report = await runManifests(manifests, {
      client,
      logger,
      executor: {
        rate,
        concurrency: options.concurrency,
        maxAttempts: options.maxAttempts,
        requestTimeoutMs: options.requestTimeoutMs,
      },
      onResult: (r) => progress.record(r),
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

function countResources(manifest: Parameters<typeof planManifest>[0]): number {
  const plan = planManifest(manifest);
  return plan.resources.length + plan.rejected.length;
}
