import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { EMULATOR_CREDENTIALS, inventory, resource, startTestEcs, tagRecord, wireManifest } from '../support/ecs.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const RESOURCES = 40;

interface Run {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** Resolves when the first outcome line is on stdout: calls are then in progress. */
  readonly firstOutcome: Promise<void>;
  /** Resolves when the CLI has said on stderr that it received a signal. */
  readonly signalled: Promise<void>;
  lines(): Record<string, unknown>[];
}

/** `tag-cleanup run` in a child process, stdout piped (NDJSON), against the emulator. */
function startRun(args: string[], endpoint: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'handlers/cli.ts', 'run', ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ALIBABA_CLOUD_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: EMULATOR_CREDENTIALS.accessKeySecret,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      TAG_CLEANUP_ECS_ENDPOINT: endpoint,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let sawOutcome: () => void = () => undefined;
  const firstOutcome = new Promise<void>((resolve) => {
    sawOutcome = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.includes('"resource.outcome"')) sawOutcome();
  });
  let err = '';
  let saidSignal: () => void = () => undefined;
  const signalled = new Promise<void>((resolve) => {
    saidSignal = resolve;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    if (err.includes('received')) saidSignal();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exited, firstOutcome, signalled, lines };
}

describe('interrupting a run with a real signal', () => {
  let dir: string;
  let emulator: RunningEmulator;
  let manifestPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-interrupt-'));
    manifestPath = join(dir, 'm.json');
    const ids = Array.from({ length: RESOURCES }, (_, i) => `d-${i}`);
    await writeFile(
      manifestPath,
      JSON.stringify(wireManifest(ids.map((resourceId) => ({ resourceId, tags: [{ key: 'k0' }, { key: 'k1' }] })))),
    );
  });

  afterEach(async () => {
    await emulator?.close();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A slow emulator (5 calls/s, 50 ms each), so the run is still going when the signal arrives. */
  async function slowEmulator(): Promise<RunningEmulator> {
    const ids = Array.from({ length: RESOURCES }, (_, i) => resource(`d-${i}`, tagRecord(2)));
    return startTestEcs(inventory(...ids), { maxQps: 5, burst: 1, faults: { latencyMs: 50 } });
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s reports every resource once, the rest deferred with what remains, then exits %i',
    async (signal, code) => {
      // Prepare
      emulator = await slowEmulator();
      const report = join(dir, `report-${signal}.json`);
      const run = startRun([manifestPath, '--max-qps', '5', '--report', report], emulator.url);
      await run.firstOutcome;
      // Act
      run.child.kill(signal);
      const exitCode = await run.exited;
      // Assess
      const outcomes = run.lines().filter((l) => l.event === 'resource.outcome');
      const ids = outcomes.map((o) => o.resourceId).sort();
      expect(exitCode).toBe(code);
      expect(new Set(ids).size).toBe(RESOURCES);
      expect(ids).toHaveLength(RESOURCES);
      const deferred = outcomes.filter((o) => o.outcome === 'deferred');
      expect(deferred.length).toBeGreaterThan(0);
      for (const line of deferred) expect((line.remaining as unknown[]).length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o.outcome === 'removed').length).toBeGreaterThan(0);
      expect(run.lines().filter((l) => l.event === 'manifest.summary')).toHaveLength(1);
      expect(run.lines().some((l) => l.event === 'run.interrupted' && l.signal === signal)).toBe(true);
      const written = JSON.parse(await readFile(report, 'utf8')) as { outcomes: unknown[] };
      expect(written.outcomes).toHaveLength(RESOURCES);
    },
  );

  it('exits at once on a second signal', async () => {
    // Prepare: calls take 3 s each, so a graceful stop would wait for the ones in flight
    const ids = Array.from({ length: RESOURCES }, (_, i) => resource(`d-${i}`, tagRecord(2)));
    emulator = await startTestEcs(inventory(...ids), { faults: { latencyMs: 3000 } });
    const run = startRun([manifestPath], emulator.url);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Act: the second signal only after the first was handled (signals sent back to back may merge)
    run.child.kill('SIGINT');
    await run.signalled;
    run.child.kill('SIGINT');
    const exitCode = await run.exited;
    // Assess: no outcome could have been reported, since no call had come back yet
    expect(exitCode).toBe(130);
    expect(run.lines().filter((l) => l.event === 'resource.outcome')).toHaveLength(0);
  });

  it('stops npm run local on SIGINT once its pollers have finished, with exit 130', async () => {
    // Prepare
    const child = spawn(process.execPath, ['--import', 'tsx', 'handlers/cli.ts', 'local', '--no-examples'], {
      cwd: repoRoot,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const polling = new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
        if (err.includes('polling;')) resolve();
      });
    });
    child.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await polling;
    // Act
    child.kill('SIGINT');
    const exitCode = await exited;
    // Assess
    expect(exitCode).toBe(130);
    expect(err).toContain('SIGINT received');
  }, 30_000);
});
