import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { positiveIntFlag, positiveNumberFlag, urlFlag } from '../../lib/cli/options.ts';
import { type RunCommandOptions, runCommand } from '../../lib/cli/run-command.ts';
import { ConfigError, CredentialsError } from '../../lib/core/errors.ts';
import {
  captureStream,
  EMULATOR_CREDENTIALS,
  inventory,
  resource,
  startTestEcs,
  tagRecord,
  wireManifest,
} from '../support/ecs.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-cli-'));
  await writeFile(join(dir, 'net-guard.cjs'), NET_GUARD);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCounter = 0;
async function manifestFile(doc: unknown): Promise<string> {
  const path = join(dir, `manifest-${++fileCounter}.json`);
  await writeFile(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

const seedInventory = () =>
  inventory(resource('d-1', { a: '1', b: '2' }), resource('d-2', tagRecord(7)), resource('d-3', { a: '1' }));

describe('runCommand', () => {
  let emulator: RunningEmulator;
  afterEach(async () => {
    await emulator?.close();
  });

  async function runWith(
    files: string[],
    more: Partial<RunCommandOptions> = {},
    io: { credentials?: () => Promise<never>; readStdin?: () => Promise<string> } = {},
  ) {
    const stdout = captureStream();
    const stderr = captureStream();
    const result = await runCommand(
      {
        files,
        dryRun: false,
        endpoint: emulator.url,
        maxQps: 1000,
        concurrency: 4,
        maxAttempts: 4,
        requestTimeoutMs: 2000,
        maxResources: 10_000,
        logLevel: 'info',
        ...more,
      },
      {
        stdout: stdout.stream,
        stderr: stderr.stream,
        credentials: io.credentials ?? staticCredentials(EMULATOR_CREDENTIALS),
        ...(io.readStdin && { readStdin: io.readStdin }),
      },
    );
    const records = stdout
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { ...result, stdout: stdout.text(), stderr: stderr.text(), records };
  }

  it('exits 0 and writes NDJSON outcome lines to its stdout when every resource is removed', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-2', tags: Object.keys(tagRecord(7)).map((key) => ({ key })) },
      ]),
    );
    // Act
    const { exitCode, records, stderr } = await runWith([file]);
    // Assess
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    const outcomes = records.filter((r) => r.event === 'resource.outcome');
    expect(outcomes.map((r) => [r.resourceId, r.outcome])).toStrictEqual([
      ['d-1', 'removed'],
      ['d-2', 'removed'],
    ]);
    expect(records.filter((r) => r.event === 'manifest.summary')).toHaveLength(1);
  });

  it('exits 1 when a resource failed', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-missing', tags: [{ key: 'a' }] },
      ]),
    );
    // Act
    const { exitCode, report } = await runWith([file]);
    // Assess
    expect(exitCode).toBe(1);
    expect(report?.outcomes.map((o) => o.outcome).sort()).toStrictEqual(['failed', 'removed']);
  });

  it('exits 1 when an entry was rejected, and still runs the valid ones', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceType: 'Instance', resourceId: 'i-1', tags: [{ key: 'a' }] },
      ]),
    );
    // Act
    const { exitCode, report } = await runWith([file]);
    // Assess
    expect(exitCode).toBe(1);
    expect(report?.outcomes.map((o) => o.outcome).sort()).toStrictEqual(['rejected', 'removed']);
    expect(report?.outcomes.find((o) => o.outcome === 'rejected')?.error?.message).toContain('lower case');
    expect(emulator.stats().accepted).toBe(1);
  });

  it('exits 2 for an invalid manifest, naming the file, the path and the reason, and sends nothing', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const good = await manifestFile(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    const bad = await manifestFile({ ...wireManifest([]), resources: 'all of them' });
    // Act
    const { exitCode, stderr, stdout } = await runWith([good, bad]);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain(bad);
    expect(stderr).toMatch(/resources/);
    expect(stderr).toMatch(/array/);
    expect(stderr).not.toContain(`${good}:`);
    expect(stdout).toBe('');
    expect(emulator.stats().requests).toBe(0);
  });

  it('exits 2 for a manifest that is not JSON, naming the file, the line and the column', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const bad = await manifestFile('{\n  "version": 1,\n  "manifestId": }');
    // Act
    const { exitCode, stderr } = await runWith([bad]);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`tag-cleanup: ${bad}: body is not valid JSON at line 3, column 17: expected a value\n`);
    expect(stderr).not.toMatch(/position/);
    expect(emulator.stats().requests).toBe(0);
  });

  it('exits 2 listing every whole-manifest problem on a line of its own', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const bad = await manifestFile({ version: 1, manifestId: 'has space', regionId: 7, resources: 'all', extra: 1 });
    // Act
    const { exitCode, stderr } = await runWith([bad]);
    // Assess
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.startsWith(`tag-cleanup: ${bad}: `));
    expect(lines.map((l) => l.slice(`tag-cleanup: ${bad}: `.length).split(':')[0])).toStrictEqual([
      'manifestId',
      'regionId',
      'resources',
      'extra',
    ]);
    expect(stderr).not.toContain('; regionId');
  });

  it('exits 2 for a duplicated dryRun key, naming the key and where it is, and sends nothing', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const text = JSON.stringify(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    const bad = await manifestFile(`{"dryRun":true,"dryRun":false,${text.slice(1)}`);
    // Act
    const { exitCode, stderr } = await runWith([bad]);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`${bad}: dryRun: duplicate key "dryRun" at line 1, column 16`);
    expect(emulator.stats().requests).toBe(0);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toMatchObject({ a: '1' });
  });

  it('exits 2 saying a version must be the number 1 when it is the string "1"', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const bad = await manifestFile({ ...wireManifest([]), version: '1' });
    // Act
    const { exitCode, stderr } = await runWith([bad]);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`${bad}: version: version must be the number 1 (got the string "1")\n`);
  });

  it('exits 2 naming TAG_CLEANUP_MAX_RESOURCES when a manifest is over the cap', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const entries = [1, 2, 3].map((i) => ({ resourceId: `d-${i}`, tags: [{ key: 'a' }] }));
    const big = await manifestFile(wireManifest(entries));
    // Act
    const { exitCode, stderr } = await runWith([big], { maxResources: 2 });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('the cap is 2 per manifest');
    expect(stderr).toContain('TAG_CLEANUP_MAX_RESOURCES');
  });

  it('exits 2 saying that a missing file does not exist and that a directory is a directory', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const missing = join(dir, 'no-such-manifest.json');
    // Act
    const { exitCode, stderr } = await runWith([missing, dir]);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`tag-cleanup: ${missing}: file does not exist\n`);
    expect(stderr).toContain(`tag-cleanup: ${dir}: is a directory, not a manifest file\n`);
    expect(stderr).not.toMatch(/ENOENT|EISDIR/);
  });

  it('exits 2 with the chain message when no credentials resolve, before any call', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    const credentials = async (): Promise<never> => {
      throw new CredentialsError('no Alibaba Cloud credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID');
    };
    // Act
    const { exitCode, stderr } = await runWith([file], {}, { credentials });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(emulator.stats().requests).toBe(0);
  });

  it('writes a CSV report with one row per resource', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-1', tags: [{ key: 'b' }] },
        { resourceId: 'd-3', tags: [{ key: 'a' }] },
        { resourceId: 'd-missing', tags: [{ key: 'a' }] },
      ]),
    );
    const report = join(dir, 'out.csv');
    // Act
    await runWith([file], { report });
    // Assess
    const rows = (await readFile(report, 'utf8')).trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'manifestId,regionId,resourceType,resourceId,outcome,removed,plannedCalls,remaining,resourceGone,calls,attempts,' +
        'requestIds,errorCode,errorMessage,durationMs',
    );
    expect(rows).toHaveLength(4);
    expect(
      rows
        .slice(1)
        .map((r) => r.split(',')[3])
        .sort(),
    ).toStrictEqual(['d-1', 'd-3', 'd-missing']);
    expect(rows.find((r) => r.includes('d-missing'))).toContain('InvalidResourceId.NotFound');
  });

  it('writes a JSON report with one outcome per resource and the summaries', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-3', tags: [{ key: 'a' }] },
      ]),
    );
    const report = join(dir, 'out.json');
    // Act
    await runWith([file], { report });
    // Assess
    const doc = JSON.parse(await readFile(report, 'utf8')) as {
      outcomes: { resourceId: string; outcome: string; requestIds: string[] }[];
      summaries: { byOutcome: Record<string, number> }[];
    };
    expect(doc.outcomes.map((o) => o.resourceId).sort()).toStrictEqual(['d-1', 'd-3']);
    expect(doc.outcomes.every((o) => o.outcome === 'removed' && o.requestIds.length === 1)).toBe(true);
    expect(doc.summaries[0]?.byOutcome.removed).toBe(2);
  });

  it('reads the manifest from stdin for -', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const text = JSON.stringify(wireManifest([{ resourceId: 'd-3', tags: [{ key: 'a' }] }]));
    // Act
    const { exitCode, report } = await runWith(['-'], {}, { readStdin: async () => text });
    // Assess
    expect(exitCode).toBe(0);
    expect(report?.outcomes[0]?.resourceId).toBe('d-3');
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-3')).toStrictEqual({});
  });

  it('makes no API call with --dry-run, needs no credentials, and reports the planned calls', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([{ resourceId: 'd-2', tags: Object.keys(tagRecord(7)).map((key) => ({ key })) }]),
    );
    const credentials = async (): Promise<never> => {
      throw new CredentialsError('none');
    };
    // Act
    const { exitCode, records } = await runWith([file], { dryRun: true }, { credentials });
    // Assess
    expect(exitCode).toBe(0);
    expect(emulator.stats().requests).toBe(0);
    const outcome = records.find((r) => r.event === 'resource.outcome');
    expect(outcome).toMatchObject({ outcome: 'planned', calls: 0 });
    expect(((outcome?.plannedCalls ?? []) as unknown[][]).map((c) => c.length)).toStrictEqual([5, 2]);
  });

  it('exits 1 and says so on stderr when a fatal error stops the run', async () => {
    // Prepare
    emulator = await startTestEcs(seedInventory());
    const file = await manifestFile(
      wireManifest([
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-3', tags: [{ key: 'a' }] },
      ]),
    );
    const stdout = captureStream();
    const stderr = captureStream();
    // Act
    const { exitCode, report } = await runCommand(
      {
        files: [file],
        dryRun: false,
        endpoint: emulator.url,
        concurrency: 1,
        maxAttempts: 3,
        requestTimeoutMs: 2000,
        maxResources: 100,
        logLevel: 'info',
      },
      {
        stdout: stdout.stream,
        stderr: stderr.stream,
        credentials: staticCredentials({ ...EMULATOR_CREDENTIALS, accessKeySecret: 'not-the-secret' }),
      },
    );
    // Assess
    expect(exitCode).toBe(1);
    expect(stderr.text()).toContain('SignatureDoesNotMatch');
    expect(report?.outcomes.map((o) => o.outcome)).toStrictEqual(['deferred', 'deferred']);
    expect(emulator.stats().requests).toBe(1);
  });
});

// Each child pays about a second of start-up, so these few run concurrently and own their emulators.
describe.concurrent('tag-cleanup (the process)', () => {
  /** Runs the CLI in a child process with a clean Alibaba environment; records every outbound connection. */
  async function cli(args: string[], env: Record<string, string> = {}) {
    const home = await mkdtemp(join(dir, 'home-'));
    const guard = join(dir, 'net-guard.cjs');
    const cleanEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('ALIBABA_CLOUD_') && !k.startsWith('TAG_CLEANUP_')),
    );
    return new Promise<{ code: number; stdout: string; stderr: string; connections: string[] }>((resolve) => {
      execFile(
        process.execPath,
        ['--require', guard, '--import', 'tsx', 'handlers/cli.ts', ...args],
        {
          cwd: repoRoot,
          env: { ...cleanEnv, HOME: home, USERPROFILE: home, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ...env },
          timeout: 15_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 99) : 0;
          const connections = stderr
            .split('\n')
            .filter((l) => l.startsWith('NET-GUARD '))
            .map((l) => l.slice('NET-GUARD '.length));
          resolve({
            code,
            stdout,
            stderr: stderr
              .split('\n')
              .filter((l) => !l.startsWith('NET-GUARD '))
              .join('\n'),
            connections,
          });
        },
      );
    });
  }

  it('exits 2 naming the flag for an unknown option', async () => {
    // Act
    const result = await cli(['run', '--max-qsp', '5', 'x.json']);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-qsp');
  });

  it('exits 2 naming the variable and the value for a bad environment variable', async () => {
    // Act
    const result = await cli(['run', 'x.json'], { TAG_CLEANUP_MAX_QPS: 'ten' });
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("TAG_CLEANUP_MAX_QPS must be a positive number (got 'ten')");
  });

  it('exits 2 with a clear message when no credentials exist, without leaving loopback', async () => {
    // Prepare
    const file = await manifestFile(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    // Act
    const result = await cli(['run', file]);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no Alibaba Cloud credentials found');
    expect(result.stderr).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(result.connections.filter((c) => !isLoopback(c))).toStrictEqual([]);
  });

  it('exits 0 after removing everything with env credentials and --endpoint, and 1 when a resource fails', async () => {
    // Prepare
    const emulator = await startTestEcs(seedInventory());
    onTestFinished(() => emulator.close());
    const env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: EMULATOR_CREDENTIALS.accessKeySecret,
    };
    const ok = await manifestFile(wireManifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    const failing = await manifestFile(wireManifest([{ resourceId: 'd-missing', tags: [{ key: 'a' }] }]));
    // Act
    const [good, bad] = await Promise.all([
      cli(['run', '--endpoint', emulator.url, ok], env),
      cli(['run', '--endpoint', emulator.url, failing], env),
    ]);
    // Assess
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('"outcome":"removed"');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('"outcome":"failed"');
    expect([...good.connections, ...bad.connections].filter((c) => !isLoopback(c))).toStrictEqual([]);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ b: '2' });
  });
});

describe('CLI flag parsing', () => {
  it.each([
    ['concurrency', 'lots', "--concurrency must be a positive number (got 'lots')"],
    ['concurrency', '2.5', "--concurrency must be a whole number (got '2.5')"],
    ['max-attempts', '0', "--max-attempts must be a positive number (got '0')"],
  ])('refuses --%s %s, naming the flag and the value', (name, raw, message) => {
    // Act
    const act = () => positiveIntFlag(name, raw);
    // Assess
    expect(act).toThrow(new ConfigError(message));
  });

  it.each([
    ['max-qps', '-1', "--max-qps must be a positive number (got '-1')"],
    ['max-qps', 'Infinity', "--max-qps must be a positive number (got 'Infinity')"],
  ])('refuses --%s %s', (name, raw, message) => {
    // Act
    const act = () => positiveNumberFlag(name, raw);
    // Assess
    expect(act).toThrow(new ConfigError(message));
  });

  it('refuses a non-http endpoint and trims a trailing slash from a good one', () => {
    // Act
    const bad = () => urlFlag('endpoint', 'ftp://example.test');
    const good = urlFlag('endpoint', 'http://127.0.0.1:8080/');
    // Assess
    expect(bad).toThrow("--endpoint must be an http(s) URL (got 'ftp://example.test')");
    expect(good).toBe('http://127.0.0.1:8080');
  });

  it('accepts fractional qps', () => {
    // Act
    const qps = positiveNumberFlag('max-qps', '0.5');
    // Assess
    expect(qps).toBe(0.5);
  });
});

function isLoopback(connection: string): boolean {
  return /^(127\.0\.0\.1|localhost|::1|\[::1\]):/.test(connection) || connection.startsWith('path:');
}

/** Preloaded into the child: reports every socket connect and DNS lookup on stderr. */
const NET_GUARD = `
const net = require('node:net');
const dns = require('node:dns');
const report = (what) => process.stderr.write('NET-GUARD ' + what + '\\n');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let o = args[0];
  if (Array.isArray(o)) o = o[0];
  if (o && typeof o === 'object') report(o.path ? 'path:' + o.path : String(o.host ?? 'localhost') + ':' + String(o.port));
  else report(String(args[1] ?? 'localhost') + ':' + String(o));
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) { report('dns:' + host); return lookup.call(this, host, ...rest); };
const plookup = dns.promises.lookup;
dns.promises.lookup = function (host, ...rest) { report('dns:' + host); return plookup.call(this, host, ...rest); };
`;
