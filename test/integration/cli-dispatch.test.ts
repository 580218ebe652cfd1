import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { main } from '../../handlers/cli.ts';
import packageJson from '../../package.json' with { type: 'json' };
import {
  captureStream,
  EMULATOR_CREDENTIALS,
  inventory,
  resource,
  startTestEcs,
  wireManifest,
} from '../support/ecs.ts';

/** Runs the CLI dispatcher in this process with captured streams and an environment of its own. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ...env },
    signal: new AbortController().signal,
    examplesDir: 'examples',
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('the CLI dispatcher', () => {
  let dir: string;
  let emulator: RunningEmulator;
  let env: Record<string, string>;
  let manifest: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-dispatch-'));
    emulator = await startTestEcs(inventory(resource('d-1', { a: '1' })));
    env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: EMULATOR_CREDENTIALS.accessKeySecret,
      TAG_CLEANUP_ECS_ENDPOINT: emulator.url,
    };
    manifest = join(dir, 'm.json');
    await writeFile(manifest, JSON.stringify(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }])));
  });

  afterEach(() => {
    emulator.resetStats();
  });

  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the version from package.json', async () => {
    // Act
    const result = await cli(['--version']);
    // Assess
    expect(result).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
  });

  it.each(['run', 'sweep', 'event', 'enqueue', 'emulator', 'demo', 'local'])(
    'explains %s with --help and runs nothing',
    async (name) => {
      // Act
      const result = await cli([name, '--help', '--definitely-not-a-flag']);
      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: tag-cleanup ${name}`));
    },
  );

  it('lists every command when asked for help, and exits 2 with the list when given none', async () => {
    // Act
    const help = await cli(['--help']);
    const none = await cli([]);
    // Assess
    expect(help.code).toBe(0);
    for (const name of ['run', 'sweep', 'event', 'enqueue', 'emulator', 'demo', 'local'])
      expect(help.stdout).toContain(`  ${name}`);
    expect(none.code).toBe(2);
  });

  it.each([
    [['run', '--max-qps', '-3', 'x.json'], "--max-qps must be a positive number (got '-3')"],
    [['run', '--max-qps', '0.001', 'x.json'], '--max-qps must be at least 0.5'],
    [['run', '--concurrency', '-1', 'x.json'], "--concurrency must be a positive number (got '-1')"],
    [['run', '--max-attempts', '2.5', 'x.json'], "--max-attempts must be a whole number (got '2.5')"],
    [['run', '--bogus', 'x.json'], "Unknown option '--bogus'"],
    [['sweep'], 'sweep needs --policy FILE'],
    [['sweep', '--policy', 'p.yaml', '--dry-run', '--out', '.'], 'sweep takes one of --dry-run, --out, --enqueue'],
    [['sweep', '--policy', 'p.yaml', '--enqueue'], '--enqueue needs --queue-url URL'],
    [['enqueue', 'x.json'], 'enqueue needs --queue-url URL'],
    [['enqueue', 'x.json', '--queue-url', 'http://127.0.0.1:9/q'], 'no AWS region'],
  ])('refuses %j with one line naming the problem and exit 2', async (argv, message) => {
    // Act
    const result = await cli(argv, env);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    ['', '--report needs a file name'],
    ['out.txt', "must end in .csv or .json (got '.txt')"],
    ['missing-dir/out.csv', 'does not exist'],
    ['a-directory.json', 'is a directory'],
  ])('checks --report %j before making any call', async (name, message) => {
    // Prepare
    await mkdir(join(dir, 'a-directory.json'), { recursive: true });
    const before = emulator.stats().requests;
    // Act
    const result = await cli(['run', manifest, '--report', name === '' ? '' : join(dir, name)], env);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(emulator.stats().requests).toBe(before);
  });

  it('refuses two manifests with the same id in one run, before any call', async () => {
    // Prepare
    const twin = join(dir, 'twin.json');
    await writeFile(twin, JSON.stringify(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'b' }] }])));
    const before = emulator.stats().requests;
    // Act
    const result = await cli(['run', manifest, twin], env);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`appears in ${manifest} and ${twin}`);
    expect(emulator.stats().requests).toBe(before);
  });
});
