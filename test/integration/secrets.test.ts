import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorLogger, InventoryFile, RunningEmulator } from '../../dev/emulator/server.ts';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { type AlibabaCredentials, staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { createLogger } from '../../lib/logger.ts';
import { inventory, resource, startRecordingProxy, startTestEcs, tagRecord, wireManifest } from '../support/ecs.ts';
import { type Fauxqs, startFauxqs } from '../support/fauxqs.ts';
import { lambdaContext as context, sqsRecord as record } from '../support/lambda.ts';
import { leaks } from '../support/leaks.ts';

// One full run of each writer (the CLI as a child process, the SQS handler, the emulator) with errors on
// every path, every byte they write captured, and the secrets searched for in every encoding they could take.

const STS: Required<AlibabaCredentials> = {
  accessKeyId: 'STS.secrets-test-id',
  accessKeySecret: 'Key+Secret/9q=Zx',
  securityToken: 'CAIS+Sts/Token*Marker=77',
};
const WRONG_SECRET = 'Wrong+Secret/4y=Qp';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Every form a value could leak in: raw, URL-encoded, form-encoded, RPC-encoded and double-encoded. */
/** The secrets found in `haystack`, in any form; empty when nothing leaked. */
/** An emulator logger that keeps every line it is given, as JSON. */
function capturingEmulatorLogger(): { logger: EmulatorLogger; text: () => string } {
  const out: string[] = [];
  const write = (level: string) => (fields: object, message: string) =>
    out.push(JSON.stringify({ level, message, ...fields }));
  return { logger: { debug: write('debug'), info: write('info'), warn: write('warn') }, text: () => out.join('\n') };
}

const seed: InventoryFile = inventory(...Array.from({ length: 6 }, (_, i) => resource(`d-${i}`, tagRecord(8))));
const resources = [
  ...Array.from({ length: 6 }, (_, i) => ({
    resourceId: `d-${i}`,
    tags: Object.keys(tagRecord(8)).map((key) => ({ key })),
  })),
  { resourceId: 'd-missing', tags: [{ key: 'k0' }] },
];

let dir: string;
let emulator: RunningEmulator;
let emulatorLog: ReturnType<typeof capturingEmulatorLogger>;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let fauxqs: Fauxqs;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-secrets-'));
  emulatorLog = capturingEmulatorLogger();
  // Throttling (one call per 50 ms, no burst), 5xx, resets and apply-then-500 on every path.
  emulator = await startTestEcs(seed, {
    accounts: [STS],
    maxQps: 20,
    burst: 1,
    retryAfterMs: 'auto',
    faults: { errorRate: 0.15, resetRate: 0.05, applyThen500Rate: 0.05 },
    seed: 11,
    logger: emulatorLog.logger,
  });
  proxy = await startRecordingProxy(emulator.url);
  fauxqs = await startFauxqs();
});
afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
  await fauxqs?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `tag-cleanup run` in a child process, with the credentials in the standard environment variables. */
async function cliRun(
  secret: string,
  tag: string,
  reportExt: 'json' | 'csv',
): Promise<{ code: number; text: string; stdout: string; stderr: string }> {
  const manifest = join(dir, `${tag}.json`);
  await writeFile(manifest, JSON.stringify(wireManifest(resources, { manifestId: `cli-${tag}` })));
  const report = join(dir, `${tag}-report.${reportExt}`);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ALIBABA_CLOUD_') && !k.startsWith('TAG_CLEANUP_')),
  );
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'handlers/cli.ts',
        'run',
        manifest,
        '--endpoint',
        proxy.url,
        '--report',
        report,
        '--max-attempts',
        '8',
      ],
      {
        cwd: repoRoot,
        env: {
          ...env,
          HOME: dir,
          ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
          ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
          ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken,
          TAG_CLEANUP_LOG_LEVEL: 'debug',
          TAG_CLEANUP_REQUEST_TIMEOUT_MS: '2000',
        },
        timeout: 20_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr }),
    );
  });
  const reportText = await readFile(report, 'utf8');
  return { ...result, text: [result.stdout, result.stderr, reportText].join('\n---\n') };
}

/** The handler at debug level against the emulator through the recording proxy; returns its log and its SQS output. */
async function handlerRun(secret: string, tag: string) {
  const { queueUrl, dlqUrl } = await fauxqs.createQueuePair(`secrets-${tag}-${randomUUID().slice(0, 6)}`);
  const lines: string[] = [];
  const client = new EcsClient({
    endpoint: proxy.url,
    credentials: staticCredentials({ ...STS, accessKeySecret: secret }),
    requestTimeoutMs: 2000,
  });
  const handler = makeHandler({
    config: requireQueues(
      loadConfig({
        TAG_CLEANUP_QUEUE_URL: queueUrl,
        TAG_CLEANUP_DLQ_URL: dlqUrl,
        TAG_CLEANUP_DEADLINE_MARGIN_MS: '500',
        TAG_CLEANUP_MAX_ATTEMPTS: '8',
        TAG_CLEANUP_MAX_CONTINUATIONS: '1',
      }),
    ),
    queue: new SqsQueueSender(fauxqs.sqs),
    client,
    rate: new AdaptiveRateController({ maxQps: 1000 }),
    logger: createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } }),
  });
  const body = (id: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ...wireManifest(resources, { manifestId: `handler-${tag}-${id}` }), ...extra });
  // A full batch with poison; a cut deadline (continuation); an exhausted continuation (DLQ with its last error).
  const responses = [
    await handler({ Records: [record(body('a')), record('poison: not json')] }, context(30_000)),
    await handler({ Records: [record(body('b'))] }, context(600)),
    // No time left at all, so no progress: the continuation limit of one is used up.
    await handler(
      { Records: [record(body('c', { continuation: { attempt: 1, sourceMessageId: 'm-0' } }))] },
      context(1),
    ),
  ];
  client.close();
  const queued = [...(await fauxqs.receiveAll(queueUrl)), ...(await fauxqs.receiveAll(dlqUrl))];
  return {
    responses,
    records: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: [...lines, ...queued.map((m) => JSON.stringify({ body: m.Body, attributes: m.MessageAttributes }))].join(
      '\n',
    ),
    queued,
  };
}

describe('secrets in everything a full run writes', () => {
  it('never show the key secret, the STS token or any request signature, with throttles, 5xx, resets, poison and a wrong secret', async () => {
    // Act
    // Child processes take a second or two to start, so everything runs at once.
    const [cliOk, cliWrong, handlerOk, handlerWrong] = await Promise.all([
      cliRun(STS.accessKeySecret, 'ok', 'json'),
      cliRun(WRONG_SECRET, 'wrong', 'csv'),
      handlerRun(STS.accessKeySecret, 'ok'),
      handlerRun(WRONG_SECRET, 'wrong'),
    ]);
    // Assess: the runs went through the error paths this test claims to cover
    const stats = emulator.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    expect((stats.errorsByCode.InternalError ?? 0) + (stats.errorsByCode.ServiceUnavailable ?? 0)).toBeGreaterThan(0);
    expect(stats.errorsByCode.SignatureDoesNotMatch).toBeGreaterThanOrEqual(2);
    expect(cliOk.code).toBe(1); // the missing resource
    expect(cliOk.stdout).toContain('"msg":"call.retry"');
    expect(cliWrong.stderr).toContain('SignatureDoesNotMatch');
    const codes = handlerOk.queued.map((m) => m.MessageAttributes?.['tagCleanup.code']?.StringValue ?? 'continuation');
    expect(new Set(codes)).toStrictEqual(new Set(['InvalidManifest', 'continuation', 'ContinuationsExhausted']));
    expect(handlerWrong.text).toContain('invocation.fatal');
    // Assess: every request carried the STS token, and no secret, token or signature appears anywhere
    expect(proxy.requests.length).toBeGreaterThan(20); // enough traffic to mean something; the exact count depends on timing
    expect(proxy.requests.every((r) => r.params.get('SecurityToken') === STS.securityToken)).toBe(true);
    const signatures = proxy.requests.map((r) => r.params.get('Signature') ?? '');
    expect(new Set(signatures).size).toBe(signatures.length);
    const everything = [cliOk.text, cliWrong.text, handlerOk.text, handlerWrong.text, emulatorLog.text()].join('\n');
    expect(emulatorLog.text()).toContain('emulator answered with an error');
    expect(leaks(everything, [STS.accessKeySecret, STS.securityToken, WRONG_SECRET, ...signatures])).toStrictEqual([]);
    expect(everything).not.toMatch(/Signature=|SignatureNonce|SecurityToken=|AccessKeySecret/);
  }, 30_000);

  it('logs ECS API errors with code, message and RequestId, never the signed URL or body', async () => {
    // Act
    const { records } = await handlerRun(STS.accessKeySecret, 'errors');
    // Assess: every API error on an outcome line carries exactly code, HTTP status, message and RequestId
    const apiErrors = records
      .filter((r) => r.event === 'resource.outcome')
      .map((r) => r.error as Record<string, unknown> | undefined)
      .filter((e) => e !== undefined && 'httpStatus' in e);
    expect(apiErrors.length).toBeGreaterThan(0);
    for (const error of apiErrors) {
      expect(Object.keys(error ?? {}).sort()).toStrictEqual(['code', 'httpStatus', 'message', 'requestId']);
      expect(error?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    }
    const text = JSON.stringify(records);
    expect(text).not.toContain(proxy.url);
    expect(text).not.toMatch(/Action=RemoveTags|Tag\.1\.Key=/);
  }, 15_000);
});
