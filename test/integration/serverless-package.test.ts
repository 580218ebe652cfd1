import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/** Reads every file of a zip archive (stored or deflated entries, no zip64): enough for a Lambda package. */
function unzip(zip: Buffer): Map<string, Buffer> {
  // The end-of-central-directory record sits in the last 22 bytes plus an optional comment of up to 64 KiB.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let n = 0; n < entries; n += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    // The local header has its own name and extra field lengths; the data follows them.
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith('/')) files.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('serverless package', () => {
  let outDir: string;
  let resources: Record<string, Resource>;
  let statements: Statement[];
  let bundle: Map<string, Buffer>;
  let zipBytes: number;

  beforeAll(async () => {
    // Prepare: package exactly as `npm run package` does, offline, with no AWS credentials in sight.
    outDir = await mkdtemp(join(tmpdir(), 'tag-cleanup-sls-'));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)$/.test(k),
      ),
    );
    await run(join(root, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'test', '--package', outDir], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    const template = JSON.parse(await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    resources = template.Resources;
    const role = resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
    };
    statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const zip = await readFile(join(outDir, 'cleanup.zip'));
    zipBytes = zip.length;
    bundle = unzip(zip);
  }, 120_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const fnNamed = (name: string) => (resources[`${name}LambdaFunction`] ?? expect.unreachable(name)).Properties;
  const fn = () => fnNamed('Cleanup');
  const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

  it('deploys four arm64 functions on nodejs24.x, each with the SSM extension of its region', () => {
    // Act
    const functions = ofType('AWS::Lambda::Function').map(([, r]) => r.Properties);
    // Assess
    expect(functions.map((f) => f.Handler).sort()).toStrictEqual([
      'handlers/cleanup.handler',
      'handlers/events.handler',
      'handlers/ingest.handler',
      'handlers/sweep.handler',
    ]);
    for (const props of functions) {
      expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      // The SSM reader talks to the Parameters and Secrets extension, which must match the architecture and region.
      expect(props.Layers).toStrictEqual([
        expect.stringMatching(
          /^arn:aws:lambda:us-east-1:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
        ),
      ]);
    }
    expect((fn().Environment as { Variables: Json }).Variables).toMatchObject({
      TAG_CLEANUP_QUEUE_URL: { Ref: 'WorkQueue' },
      TAG_CLEANUP_DLQ_URL: { Ref: 'DeadLetterQueue' },
      TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM: '/tag-cleanup/test/alibaba-access-key-id',
      TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM: '/tag-cleanup/test/alibaba-access-key-secret',
      TAG_CLEANUP_MAX_CONTINUATIONS: expect.stringMatching(/^\d+$/),
      TAG_CLEANUP_DEADLINE_MARGIN_MS: expect.stringMatching(/^\d+$/),
    });
  });

  it('maps the work queue to cleanup and the events queue to the adapter, with partial batch responses and a cap', () => {
    // Act
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    // Assess
    expect(mappings).toHaveLength(2);
    expect(mappings).toContainEqual(
      expect.objectContaining({
        EventSourceArn: getAtt('WorkQueue'),
        FunctionName: getAtt('CleanupLambdaFunction'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: expect.any(Number) },
      }),
    );
    expect(mappings).toContainEqual(
      expect.objectContaining({
        EventSourceArn: getAtt('EventsQueue'),
        FunctionName: getAtt('EventsLambdaFunction'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: expect.any(Number) },
      }),
    );
    for (const m of mappings) expect((m.BatchSize as number) <= 10).toBe(true);
  });

  it('serves ingest on a public Function URL with a reserved concurrency cap, and the token parameter by name', () => {
    // Act
    const url = ofType('AWS::Lambda::Url').map(([, r]) => r.Properties);
    const ingest = fnNamed('Ingest');
    // Assess
    expect(url).toStrictEqual([
      expect.objectContaining({ AuthType: 'NONE', TargetFunctionArn: getAtt('IngestLambdaFunction') }),
    ]);
    expect(ingest.ReservedConcurrentExecutions).toBeGreaterThan(0);
    expect((ingest.Environment as { Variables: Json }).Variables).toMatchObject({
      TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM: '/tag-cleanup/test/ingest-token',
      TAG_CLEANUP_EVENTS_QUEUE_URL: { Ref: 'EventsQueue' },
    });
  });

  it('gives the events queue six adapter timeouts of visibility, a retained DLQ after five receives, and an alarm', () => {
    // Act
    const queue = resources.EventsQueue?.Properties as Json;
    const dlq = resources.EventsDeadLetterQueue as Resource & { DeletionPolicy?: string };
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    // Assess
    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (fnNamed('Events').Timeout as number));
    expect(queue.RedrivePolicy).toStrictEqual({
      deadLetterTargetArn: getAtt('EventsDeadLetterQueue'),
      maxReceiveCount: 5,
    });
    expect(dlq.DeletionPolicy).toBe('Retain');
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'QueueName'] } }],
      }),
    );
  });

  it('does not schedule the sweep unless asked, and never retries a failed sweep at once', () => {
    // Act
    const rules = ofType('AWS::Events::Rule');
    const invokeConfig = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    // Assess
    expect(rules).toHaveLength(0);
    expect(invokeConfig).toContainEqual(expect.objectContaining({ MaximumRetryAttempts: 0 }));
    expect((fnNamed('Sweep').Environment as { Variables: Json }).Variables).toMatchObject({
      TAG_CLEANUP_POLICY_FILE: 'policies/no-temporary-tags.yaml',
    });
  });

  it('gives the work queue a visibility timeout of at least six function timeouts', () => {
    // Act
    const timeout = fn().Timeout as number;
    const visibility = resources.WorkQueue?.Properties.VisibilityTimeout as number;
    // Assess
    expect(timeout).toBeGreaterThan(0);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('redrives to a DLQ after at least five receives and keeps DLQ messages for 14 days', () => {
    // Act
    const redrive = resources.WorkQueue?.Properties.RedrivePolicy as Json;
    // Assess
    expect(redrive.deadLetterTargetArn).toStrictEqual(getAtt('DeadLetterQueue'));
    expect(redrive.maxReceiveCount as number).toBeGreaterThanOrEqual(5);
    expect(resources.DeadLetterQueue?.Properties.MessageRetentionPeriod).toBe(1209600);
  });

  it('keeps the DLQ when the stack is deleted or the queue replaced, and work messages for less time than the DLQ', () => {
    // Act
    const dlq = resources.DeadLetterQueue as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
    const workRetention = resources.WorkQueue?.Properties.MessageRetentionPeriod as number;
    // Assess
    expect(dlq.DeletionPolicy).toBe('Retain');
    expect(dlq.UpdateReplacePolicy).toBe('Retain');
    expect(workRetention).toBeGreaterThan(0);
    expect(workRetention).toBeLessThan(dlq.Properties.MessageRetentionPeriod as number);
  });

  it('builds the alarm actions at package time: none without a topic, and no CloudFormation condition', () => {
    // Act
    const alarm = ofType('AWS::CloudWatch::Alarm')[0]?.[1].Properties;
    // Assess
    expect(alarm?.AlarmActions).toStrictEqual([]);
    expect(JSON.stringify(resources)).not.toContain('Fn::If');
  });

  it('alarms as soon as the DLQ holds a message', () => {
    // Act
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    // Assess
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
  });

  it('scopes every SQS permission to the four queues of the stack', () => {
    // Act
    const sqsStatements = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('sqs:')));
    const send = sqsStatements.filter((s) => asArray(s.Action).includes('sqs:SendMessage'));
    const consume = sqsStatements.filter((s) => asArray(s.Action).includes('sqs:ReceiveMessage'));
    const queues = ['WorkQueue', 'DeadLetterQueue', 'EventsQueue', 'EventsDeadLetterQueue'].map(getAtt);
    // Assess
    expect(statements.flatMap((s) => asArray(s.Action))).not.toContain('*');
    expect(sqsStatements.flatMap((s) => asArray(s.Action)).some((a) => a.includes('*'))).toBe(false);
    for (const s of sqsStatements) for (const r of asArray(s.Resource)) expect(queues).toContainEqual(r);
    expect(send.flatMap((s) => asArray(s.Resource))).toStrictEqual(queues);
    const consumed = consume.flatMap((s) => asArray(s.Resource));
    expect(consumed).toHaveLength(2);
    expect(consumed).toEqual(expect.arrayContaining([getAtt('WorkQueue'), getAtt('EventsQueue')]));
  });

  it('lets the functions read exactly their three SSM parameters, decrypting only through SSM', () => {
    // Act
    const ssm = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('ssm:')));
    const kms = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')));
    const rendered = JSON.stringify(ssm.flatMap((s) => asArray(s.Resource)));
    // Assess
    expect(ssm.flatMap((s) => asArray(s.Action)).sort()).toStrictEqual(['ssm:GetParameter', 'ssm:GetParameters']);
    expect(asArray(ssm[0]?.Resource)).toHaveLength(3);
    expect(rendered).not.toContain('*');
    for (const name of ['alibaba-access-key-id', 'alibaba-access-key-secret', 'ingest-token']) {
      expect(rendered).toContain(`/tag-cleanup/test/${name}`);
    }
    expect(kms.flatMap((s) => asArray(s.Action))).toStrictEqual(['kms:Decrypt']);
    expect(kms[0]?.Condition).toMatchObject({ StringEquals: { 'kms:ViaService': expect.anything() } });
  });

  it('bundles the handler as one small ESM file without dev tooling or zod locales', () => {
    // Act
    const names = [...bundle.keys()];
    const code = bundle.get('handlers/cleanup.mjs')?.toString('utf8') ?? '';
    // Assess
    expect(names).toContain('handlers/cleanup.mjs');
    expect(names.filter((n) => n.endsWith('.js') || n.endsWith('.cjs'))).toStrictEqual([]);
    expect(names.some((n) => n.startsWith('node_modules/'))).toBe(false);
    expect(code).not.toMatch(/fauxqs/);
    // `import { z } from 'zod'` instead of `import * as z` drags in every locale (about 370 KiB).
    expect(code).not.toContain('Ungültige Eingabe');
    expect(zipBytes).toBeLessThan(1024 * 1024);
  });

  it('loads the bundle from an .mjs file without touching the network', async () => {
    // Prepare: unpack, then import through a probe that records every outgoing connection attempt.
    const dir = join(outDir, 'unpacked');
    for (const [name, data] of bundle) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), data);
    }
    await writeFile(
      join(dir, 'probe.mjs'),
      [
        "import net from 'node:net';",
        'const attempts = [];',
        'const connect = net.Socket.prototype.connect;',
        "net.Socket.prototype.connect = function (...args) { attempts.push('connect'); return connect.apply(this, args); };",
        "const mod = await import('./handlers/cleanup.mjs');",
        'await new Promise((r) => setTimeout(r, 50));',
        'console.log(JSON.stringify({ handler: typeof mod.handler, attempts }));',
      ].join('\n'),
    );
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('TAG_CLEANUP_')),
    );
    // Act
    const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: dir, env, timeout: 20_000 });
    // Assess
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toStrictEqual({ handler: 'function', attempts: [] });
    expect((await readdir(join(dir, 'handlers'))).filter((f) => f.endsWith('.mjs'))).toStrictEqual(['cleanup.mjs']);
  });
});

/** Resolves serverless.yml as `serverless print` does: every package-time parameter, without bundling. */
async function printConfig(...args: string[]): Promise<Json> {
  const { stdout } = await run(
    join(root, 'node_modules', '.bin', 'serverless'),
    ['print', '--format', 'json', ...args],
    {
      cwd: root,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Json;
}

/** The error text of a `serverless print` that must fail. */
async function printError(...args: string[]): Promise<string> {
  try {
    await printConfig(...args);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
  return expect.unreachable('serverless print succeeded');
}

describe('package-time parameters', () => {
  // `serverless print` costs about a second and a half of CPU each, so each call checks several parameters.
  const layersOf = (config: Json) => (config.functions as { cleanup: { layers: string[] } }).cleanup.layers;
  const resourcesOf = (config: Json) => (config.resources as { Resources: Record<string, Resource> }).Resources;
  let good: Json;
  let refused: string;
  let explicit: Json;

  beforeAll(async () => {
    [good, refused, explicit] = await Promise.all([
      printConfig(
        '--region',
        'eu-west-1',
        '--param=alarmTopicArn=arn:aws:sns:eu-west-1:123456789012:ops',
        '--param=sweepSchedule=cron(0 3 * * ? *)',
        '--param=functionTimeoutSeconds=5',
      ),
      printError('--region', 'us-iso-east-1', '--param=functionTimeoutSeconds=4', '--param=sweepSchedule=every night'),
      printConfig(
        '--region',
        'us-iso-east-1',
        '--param=paramsSecretsExtensionLayerArn=arn:aws:lambda:us-iso-east-1:123456789012:layer:X:1',
      ),
    ]);
  }, 120_000);

  it('uses the extension layer published in the deploy region', () => {
    // Assess: us-east-1 is checked on the package above; here another region and another account
    expect(layersOf(good)).toStrictEqual([
      expect.stringMatching(
        /^arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
      ),
    ]);
  });

  it('refuses to package for a region with no known layer unless the ARN is given', () => {
    // Assess
    expect(refused).toContain('no Parameters and Secrets extension layer is known for region us-iso-east-1');
    expect(layersOf(explicit)).toStrictEqual(['arn:aws:lambda:us-iso-east-1:123456789012:layer:X:1']);
  });

  it('notifies the alarm topic passed at deploy time, on every alarm', () => {
    // Act
    const alarms = Object.values(resourcesOf(good)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    // Assess
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toStrictEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
    }
  });

  it('refuses a function timeout too short to work, and derives the visibility timeout from an accepted one', () => {
    // Assess
    expect(refused).toContain("functionTimeoutSeconds must be a whole number from 5 to 900 (got '4')");
    expect((good.provider as Json).timeout).toBe(5);
    expect(resourcesOf(good).WorkQueue?.Properties.VisibilityTimeout).toBe(30);
  });

  it('schedules the sweep when sweepSchedule is set, and refuses an expression that is not rate() or cron()', () => {
    // Act
    const sweep = (good.functions as Record<string, { events: unknown[] }>).sweep;
    // Assess
    expect(sweep?.events).toStrictEqual([{ schedule: { rate: ['cron(0 3 * * ? *)'], enabled: true } }]);
    expect(refused).toContain("sweepSchedule must be rate(N unit) or cron(...) (got 'every night')");
  });
});
