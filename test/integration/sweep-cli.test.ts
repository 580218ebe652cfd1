import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, inventory, resource, startTestEcs } from '../support/ecs.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const POLICY = `version: 1
name: cli-sweep
regions: [cn-hangzhou]
resourceTypes: [instance, disk]
remove:
  - key: tmp
  - keyPrefix: "ci-"
protect:
  - key: "tag-cleanup:protect"
exclude:
  resourceIds: [d-excluded]
`;

const seed = () =>
  inventory(
    resource('d-1', { tmp: 'a', 'ci-job': '9', owner: 'ana', 'acs:rm:rgId': 'rg-1' }),
    resource('d-2', { tmp: 'b' }),
    resource('d-gone', { tmp: 'c' }),
    resource('d-excluded', { tmp: 'd' }),
    resource('i-held', { tmp: 'e', 'tag-cleanup:protect': 'any' }, { resourceType: 'instance' }),
  );

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-sweep-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CREDENTIALS_ENV = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: EMULATOR_CREDENTIALS.accessKeySecret,
};

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly records: Record<string, unknown>[];
}

/** Runs the CLI in a child process with no Alibaba or tag-cleanup variables but `env`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ALIBABA_CLOUD_') && !k.startsWith('TAG_CLEANUP_')),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'handlers/cli.ts', ...args],
      {
        cwd: repoRoot,
        env: { ...cleanEnv, HOME: dir, USERPROFILE: dir, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ...env },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 99) : 0;
        const records = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ code, stdout, stderr, records });
      },
    );
  });
}

async function policyFile(text: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

// Each child pays a second or two of start-up, so these run side by side, each with its own emulator
// (closed through the test's own context: the global onTestFinished cannot tell concurrent tests apart).
describe.concurrent('tag-cleanup sweep (the process)', () => {
  it('writes manifests with --out that `tag-cleanup run` accepts, a deleted resource ending removed and gone', async ({
    onTestFinished,
  }) => {
    // Prepare
    const emulator = await startTestEcs(seed(), { listPageSize: 2 });
    onTestFinished(() => emulator.close());
    const policy = await policyFile(POLICY, 'out.yaml');
    const out = await mkdtemp(join(dir, 'out-'));
    // Act: sweep to files, delete one resource, run the files
    const swept = await cli(['sweep', '--policy', policy, '--out', out, '--endpoint', emulator.url], CREDENTIALS_ENV);
    const removalsAfterSweep = emulator.stats().byAction.RemoveTags;
    emulator.replaceInventory({
      resources: emulator.snapshot().resources.filter((r) => r.resourceId !== 'd-gone'),
    });
    const files = (await readdir(out)).map((f) => join(out, f));
    const ran = await cli(['run', '--endpoint', emulator.url, ...files], CREDENTIALS_ENV);
    // Assess
    expect(swept.code).toBe(0);
    expect(removalsAfterSweep).toBeUndefined();
    expect(files).toHaveLength(1);
    expect(ran.code).toBe(0);
    const outcomes = ran.records.filter((r) => r.event === 'resource.outcome');
    expect(outcomes.map((o) => [o.resourceId, o.outcome, o.resourceGone ?? false]).sort()).toStrictEqual([
      ['d-1', 'removed', false],
      ['d-2', 'removed', false],
      ['d-gone', 'removed', true],
    ]);
    expect(ran.records.find((r) => r.event === 'manifest.summary')).toMatchObject({
      origin: { kind: 'sweep', policy: 'cli-sweep' },
    });
    expect(emulator.snapshot().resources.map((r) => [r.resourceId, r.tags])).toStrictEqual([
      ['d-1', { owner: 'ana', 'acs:rm:rgId': 'rg-1' }],
      ['d-2', {}],
      ['d-excluded', { tmp: 'd' }],
      ['i-held', { tmp: 'e', 'tag-cleanup:protect': 'any' }],
    ]);
  });

  it('ends a default run with one sweep.summary line, the last on stdout', async ({ onTestFinished }) => {
    // Prepare
    const emulator = await startTestEcs(seed());
    onTestFinished(() => emulator.close());
    const policy = await policyFile(POLICY, 'run.yaml');
    // Act
    const result = await cli(['sweep', '--policy', policy, '--endpoint', emulator.url], CREDENTIALS_ENV);
    // Assess
    expect(result.code).toBe(0);
    expect(result.records.filter((r) => r.event === 'sweep.summary')).toHaveLength(1);
    expect(result.records.at(-1)).toMatchObject({
      event: 'sweep.summary',
      policy: 'cli-sweep',
      complete: true,
      resourcesMatched: 3,
      tagsMatched: 4,
      protectedSkipped: 1,
      excludedSkipped: 1,
      manifests: 1,
      refused: null,
    });
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-gone')).toStrictEqual({});
  });

  it('exits 2 for an invalid policy, printing every issue with its path', async () => {
    // Prepare
    const policy = await policyFile(
      'version: 2\nname: x\nregions: []\nremove:\n  - keyPrefix: "aliyun"\nkeepOnly: []\nextra: 1\n',
      'bad.yaml',
    );
    // Act
    const result = await cli(['sweep', '--policy', policy, '--dry-run'], CREDENTIALS_ENV);
    // Assess
    expect(result.code).toBe(2);
    for (const path of ['version', 'regions', 'remove[0].keyPrefix', 'keepOnly', 'extra']) {
      expect(result.stderr).toContain(`tag-cleanup: ${path}: `);
    }
    expect(result.stderr).toContain('is not a valid policy');
  });

  it('exits 2 for a --region outside the policy and for missing credentials', async () => {
    // Prepare
    const policy = await policyFile(POLICY, 'regions.yaml');
    // Act
    const [region, credentials] = await Promise.all([
      cli(['sweep', '--policy', policy, '--region', 'cn-shanghai', '--dry-run'], CREDENTIALS_ENV),
      cli(['sweep', '--policy', policy, '--dry-run']),
    ]);
    // Assess
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('--region cn-shanghai is not among the policy');
    expect(credentials.code).toBe(2);
    expect(credentials.stderr).toContain('no Alibaba Cloud credentials found');
  });
});
