import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorOptions, InventoryFile, RunningEmulator } from '../../dev/emulator/server.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { type SweepCommandOptions, type SweepMode, sweepCommand } from '../../lib/cli/sweep-command.ts';
import { CredentialsError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { createLogger } from '../../lib/logger.ts';
import { captureStream, EMULATOR_CREDENTIALS, inventory, resource, startTestEcs } from '../support/ecs.ts';
import { callEcs, listTagResourcesParams } from '../support/emulator.ts';
import { SWEEP_SUMMARY_FIELDS } from '../support/sweep.ts';

// pino's own fields around ours.
const LOGGER_FIELDS = new Set(['level', 'time', 'msg']);

const policyText = (maxResources = 100) => `version: 1
name: it-sweep
regions: [cn-hangzhou, cn-shanghai]
resourceTypes: [instance, disk, securitygroup]
remove:
  - key: tmp
  - keyPrefix: "ci-"
  - keyPattern: "^build-[0-9]+$"
  - keyPattern: "-managed$"      # would match the system tag aliyun-managed, which never matches
  - key: env
    values: [legacy]
protect:
  - key: "tag-cleanup:protect"
    value: "true"
exclude:
  resourceIds: [d-excluded]
maxResources: ${maxResources}
`;

/**
 * Three resources to change (one per partition kind), one protected, one excluded, one clean, one of a
 * type and one in a region the policy does not cover; system tags on two of them.
 */
function seed(): InventoryFile {
  return inventory(
    resource('d-tmp', { tmp: 'scratch', 'ci-run': '4711', 'build-12': 'ok', owner: 'ana', 'acs:rm:rgId': 'rg-1' }),
    resource(
      'i-web',
      { env: 'legacy', owner: 'bob', 'aliyun-managed': 'true', 'team-managed': 'yes', 'build-x': 'keep' },
      { resourceType: 'instance' },
    ),
    resource('i-prod', { env: 'legacy', tmp: 'x', 'tag-cleanup:protect': 'true' }, { resourceType: 'instance' }),
    resource('d-excluded', { tmp: 'y' }),
    resource('sg-clean', { owner: 'cy', env: 'prod' }, { resourceType: 'securitygroup' }),
    resource('s-snap', { tmp: 'z' }, { resourceType: 'snapshot' }),
    resource('d-sh', { tmp: '1', 'ci-a': '2', team: 'x' }, { regionId: 'cn-shanghai' }),
    resource('d-bj', { tmp: '1' }, { regionId: 'cn-beijing' }),
  );
}

/** The policy's intent, written out by hand: what every resource carries after a full sweep. */
const INTENT: Record<string, Record<string, string>> = {
  'cn-hangzhou/disk/d-tmp': { owner: 'ana', 'acs:rm:rgId': 'rg-1' },
  'cn-hangzhou/instance/i-web': { owner: 'bob', 'aliyun-managed': 'true', 'build-x': 'keep' },
  'cn-hangzhou/instance/i-prod': { env: 'legacy', tmp: 'x', 'tag-cleanup:protect': 'true' },
  'cn-hangzhou/disk/d-excluded': { tmp: 'y' },
  'cn-hangzhou/securitygroup/sg-clean': { owner: 'cy', env: 'prod' },
  'cn-hangzhou/snapshot/s-snap': { tmp: 'z' },
  'cn-shanghai/disk/d-sh': { team: 'x' },
  'cn-beijing/disk/d-bj': { tmp: '1' },
};

/** What a dry run plans, key=value, per resource. */
const PLANNED: Record<string, string[]> = {
  'd-tmp': ['build-12=ok', 'ci-run=4711', 'tmp=scratch'],
  'i-web': ['env=legacy', 'team-managed=yes'],
  'd-sh': ['ci-a=2', 'tmp=1'],
};

let dir: string;
let emulator: RunningEmulator | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-sweep-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

// Two rows a ListTagResources page, so most resources' rows straddle pages.
async function start(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  emulator = await startTestEcs(seed(), { listPageSize: 2, ...options });
  return emulator;
}

let fileCounter = 0;
async function file(text: string, name = `policy-${++fileCounter}.yaml`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function stateOf(file: InventoryFile): Record<string, Record<string, string>> {
  return Object.fromEntries(file.resources.map((r) => [`${r.regionId}/${r.resourceType}/${r.resourceId}`, r.tags]));
}
const state = (em: RunningEmulator) => stateOf(em.snapshot());
const SEED_STATE = stateOf(seed());

interface SweepRun {
  readonly exitCode: number;
  readonly records: Record<string, unknown>[];
  readonly stderr: string;
  readonly summary: Record<string, unknown> | undefined;
}

async function runSweep(
  em: RunningEmulator,
  more: Partial<SweepCommandOptions> & { policyFile: string },
  io: { credentials?: () => Promise<never>; secret?: string } = {},
): Promise<SweepRun> {
  const stdout = captureStream();
  const stderr = captureStream();
  const exitCode = await sweepCommand(
    {
      regions: [],
      mode: { kind: 'run' },
      force: false,
      endpoint: em.url,
      maxQps: 1_000,
      concurrency: 4,
      maxAttempts: 3,
      requestTimeoutMs: 2_000,
      maxResources: 10_000,
      logLevel: 'info',
      ...more,
    },
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
      credentials:
        io.credentials ??
        staticCredentials({
          ...EMULATOR_CREDENTIALS,
          accessKeySecret: io.secret ?? EMULATOR_CREDENTIALS.accessKeySecret,
        }),
    },
  );
  const records = stdout
    .text()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { exitCode, records, stderr: stderr.text(), summary: records.find((r) => r.event === 'sweep.summary') };
}

const removeCalls = (em: RunningEmulator) => em.stats().byAction.RemoveTags;
const outcomes = (records: Record<string, unknown>[]) => records.filter((r) => r.event === 'resource.outcome');

describe('sweep --dry-run', () => {
  it('makes no RemoveTags call and logs one planned outcome per resource naming every key and value', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    // Act
    const { exitCode, records, summary } = await runSweep(em, { policyFile, mode: { kind: 'dry-run' } });
    // Assess
    expect(exitCode).toBe(0);
    expect(removeCalls(em)).toBeUndefined();
    expect(em.stats().byAction.ListTagResources?.ok).toBeGreaterThan(0);
    const planned = Object.fromEntries(
      outcomes(records).map((o) => {
        const calls = o.plannedCalls as { key: string; value: string }[][];
        return [
          o.resourceId,
          calls
            .flat()
            .map((t) => `${t.key}=${t.value}`)
            .sort(),
        ];
      }),
    );
    expect(outcomes(records)).toHaveLength(3);
    expect(planned).toStrictEqual(PLANNED);
    expect(outcomes(records).every((o) => o.outcome === 'planned')).toBe(true);
    expect(state(em)).toStrictEqual(SEED_STATE);
    expect(summary).toMatchObject({ complete: true, resourcesMatched: 3, tagsMatched: 7, manifests: 2 });
  });

  it('prints the table of what would be removed, by key and by resource type, on a terminal', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    const terminal = captureStream();
    (terminal.stream as { isTTY: boolean }).isTTY = true;
    const lines: string[] = [];
    // Act
    const exitCode = await sweepCommand(
      {
        policyFile,
        regions: [],
        mode: { kind: 'dry-run' },
        force: false,
        endpoint: em.url,
        concurrency: 4,
        maxAttempts: 3,
        requestTimeoutMs: 2_000,
        maxResources: 10_000,
        logLevel: 'info',
      },
      {
        stdout: terminal.stream,
        stderr: captureStream().stream,
        credentials: staticCredentials(EMULATOR_CREDENTIALS),
        logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }),
      },
    );
    // Assess
    expect(exitCode).toBe(0);
    const table = terminal.text();
    expect(table).toMatch(/tag key\s+tags\n {2}tmp\s+2\n/);
    expect(table).toMatch(/resource type\s+tags\n {2}disk\s+5\n {2}instance\s+2\n/);
  });
});

describe('sweep (default: run)', () => {
  it("leaves the emulator's tags equal to the policy's intent and ends with the issue's summary line", async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    // Act
    const { exitCode, records, summary } = await runSweep(em, { policyFile });
    // Assess
    expect(exitCode).toBe(0);
    expect(state(em)).toStrictEqual(INTENT);
    expect(
      outcomes(records)
        .map((o) => [o.resourceId, o.outcome])
        .sort(),
    ).toStrictEqual([
      ['d-sh', 'removed'],
      ['d-tmp', 'removed'],
      ['i-web', 'removed'],
    ]);
    expect(Object.keys(summary ?? {}).filter((k) => !LOGGER_FIELDS.has(k))).toStrictEqual(SWEEP_SUMMARY_FIELDS);
    expect(summary).toMatchObject({
      event: 'sweep.summary',
      policy: 'it-sweep',
      regions: ['cn-hangzhou', 'cn-shanghai'],
      complete: true,
      incompletePartitions: [],
      resourcesMatched: 3,
      tagsMatched: 7,
      protectedSkipped: 1,
      excludedSkipped: 1,
      manifests: 2,
      refused: null,
    });
    const listed = em.stats().byAction;
    expect(summary?.listCalls).toBe((listed.DescribeTags?.ok ?? 0) + (listed.ListTagResources?.ok ?? 0));
  });

  it('sweeps only the --region given', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    // Act
    const { exitCode, summary } = await runSweep(em, { policyFile, regions: ['cn-shanghai'] });
    // Assess
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ regions: ['cn-shanghai'], resourcesMatched: 1 });
    expect(em.getTags('cn-shanghai', 'disk', 'd-sh')).toStrictEqual({ team: 'x' });
    expect(em.getTags('cn-hangzhou', 'disk', 'd-tmp')).toHaveProperty('tmp', 'scratch');
  });

  it('reports a resource deleted between listing and removal as removed with resourceGone, and exits 0', async () => {
    // Prepare: once cn-shanghai is listed, d-sh disappears from the emulator
    const em = await start();
    const policyFile = await file(policyText());
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: {
        write(line: string) {
          const record = JSON.parse(line) as Record<string, unknown>;
          lines.push(record);
          if (record.event === 'inventory.region') {
            em.replaceInventory({ resources: em.snapshot().resources.filter((r) => r.resourceId !== 'd-sh') });
          }
        },
      },
    });
    // Act
    const exitCode = await sweepCommand(
      {
        policyFile,
        regions: ['cn-shanghai'],
        mode: { kind: 'run' },
        force: false,
        endpoint: em.url,
        concurrency: 4,
        maxAttempts: 3,
        requestTimeoutMs: 2_000,
        maxResources: 10_000,
        logLevel: 'info',
      },
      {
        stdout: captureStream().stream,
        stderr: captureStream().stream,
        credentials: staticCredentials(EMULATOR_CREDENTIALS),
        logger,
      },
    );
    // Assess
    expect(exitCode).toBe(0);
    expect(em.getTags('cn-shanghai', 'disk', 'd-sh')).toBeUndefined();
    expect(outcomes(lines)).toMatchObject([{ resourceId: 'd-sh', outcome: 'removed', resourceGone: true }]);
    expect(removeCalls(em)?.errors).toBe(1);
  });
});

describe('sweep --out', () => {
  it('writes one manifest file per region, named by its id, and makes no RemoveTags call', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    const out = await mkdtemp(join(dir, 'out-'));
    const mode: SweepMode = { kind: 'out', dir: out };
    // Act
    const { exitCode, records, summary } = await runSweep(em, { policyFile, mode });
    // Assess
    expect(exitCode).toBe(0);
    expect(removeCalls(em)).toBeUndefined();
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => /^sweep-it-sweep-cn-(hangzhou|shanghai)-\d{8}T\d{6}Z\.json$/.test(f))).toBe(true);
    const manifests = await Promise.all(files.map(async (f) => parseManifest(await readFile(join(out, f), 'utf8'))));
    expect(manifests.map((m) => m.resources.length)).toStrictEqual([2, 1]);
    expect(manifests[0]?.origin).toMatchObject({ kind: 'sweep', policy: 'it-sweep' });
    expect(records.filter((r) => r.event === 'sweep.manifest.written')).toHaveLength(2);
    expect(summary).toMatchObject({ manifests: 2 });
  });
});

describe('sweep brake', () => {
  it('refuses more than maxResources changes: exit 1, refused maxResources, nothing changed', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText(2));
    // Act
    const { exitCode, summary, stderr } = await runSweep(em, { policyFile });
    // Assess
    expect(exitCode).toBe(1);
    expect(summary).toMatchObject({ refused: 'maxResources', resourcesMatched: 3, manifests: 0 });
    expect(removeCalls(em)).toBeUndefined();
    expect(state(em)).toStrictEqual(SEED_STATE);
    expect(stderr).toContain('--force');
  });

  it('lets --force through the brake', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText(2));
    // Act
    const { exitCode, summary } = await runSweep(em, { policyFile, force: true });
    // Assess
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ refused: null, resourcesMatched: 3 });
    expect(state(em)).toStrictEqual(INTENT);
  });
});

describe('sweep with throttled listing APIs', () => {
  it("retries the throttled list calls and still reaches the policy's intent", async () => {
    // Prepare: each list API takes one call at a time, a few a second; the client asks for far more
    const em = await start({
      describeTagsMaxQps: 10,
      describeTagsBurst: 1,
      listTagResourcesMaxQps: 40,
      listTagResourcesBurst: 1,
    });
    const policyFile = await file(policyText());
    // Act
    const { exitCode, summary } = await runSweep(em, { policyFile, maxAttempts: 8 });
    // Assess
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ complete: true, resourcesMatched: 3 });
    expect(summary?.throttled).toBeGreaterThan(0);
    expect(summary?.throttled).toBe(
      (em.stats().byAction.DescribeTags?.throttled ?? 0) + (em.stats().byAction.ListTagResources?.throttled ?? 0),
    );
    expect(state(em)).toStrictEqual(INTENT);
  });
});

describe('sweep with a listing that keeps failing', () => {
  it('names the partitions it could not list, changes nothing there, and exits 1', async () => {
    // Prepare: ListTagResources gets one call in a thousand seconds, and the test spends it
    const em = await start({ listTagResourcesMaxQps: 0.001, listTagResourcesBurst: 1 });
    await callEcs(em.url, listTagResourcesParams('cn-hangzhou', 'disk', { tags: [{ key: 'nothing' }] }));
    const policyFile = await file(policyText());
    // Act
    const { exitCode, summary } = await runSweep(em, { policyFile, maxAttempts: 2 });
    // Assess
    expect(exitCode).toBe(1);
    expect(summary).toMatchObject({
      complete: false,
      // The security groups carry no matching tag, so that partition needed no listing and is complete.
      incompletePartitions: ['cn-hangzhou/instance', 'cn-hangzhou/disk', 'cn-shanghai/disk'],
      resourcesMatched: 0,
      manifests: 0,
    });
    expect(summary?.throttled).toBeGreaterThanOrEqual(3);
    expect(removeCalls(em)).toBeUndefined();
    expect(state(em)).toStrictEqual(SEED_STATE);
  });
});

describe('sweep exit 2', () => {
  it('prints every issue of an invalid policy with its path, and lists nothing', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(`version: 1
name: bad name
regions: [cn-hangzhou, Hangzhou]
remove:
  - key: tmp
    keyPrefix: t
  - key: "acs:rm:rgId"
maxResource: 5
`);
    // Act
    const { exitCode, stderr } = await runSweep(em, { policyFile });
    // Assess
    expect(exitCode).toBe(2);
    for (const path of ['name: ', 'regions[1]: ', 'remove[0]: ', 'remove[1].key: ', 'maxResource: ']) {
      expect(stderr).toContain(`tag-cleanup: ${path}`);
    }
    expect(em.stats().requests).toBe(0);
  });

  it('refuses a --region outside the policy before any call', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    // Act
    const { exitCode, stderr } = await runSweep(em, { policyFile, regions: ['cn-hangzhou', 'eu-central-1'] });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--region eu-central-1');
    expect(em.stats().requests).toBe(0);
  });

  it('exits 2 when no credentials resolve, before any call', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    const credentials = async (): Promise<never> => {
      throw new CredentialsError('no Alibaba Cloud credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID');
    };
    // Act
    const { exitCode, stderr } = await runSweep(em, { policyFile }, { credentials });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('no Alibaba Cloud credentials found');
    expect(em.stats().requests).toBe(0);
  });

  it('exits 2 when the API refuses the credentials, and changes nothing', async () => {
    // Prepare
    const em = await start();
    const policyFile = await file(policyText());
    // Act
    const { exitCode, stderr, summary } = await runSweep(em, { policyFile }, { secret: 'not-the-secret' });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('SignatureDoesNotMatch');
    expect(summary).toMatchObject({ complete: false, manifests: 0 });
    expect(removeCalls(em)).toBeUndefined();
  });
});
