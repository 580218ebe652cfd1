import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlibabaCredentials, staticCredentials } from '../../lib/alibaba/credentials.ts';
import { stringToSign } from '../../lib/alibaba/sign.ts';
import { runCommand } from '../../lib/cli/run-command.ts';
import { createLogger, REDACT_PATHS } from '../../lib/logger.ts';
import {
  captureStream,
  inventory,
  resource,
  startRawServer,
  startRecordingProxy,
  startTestEcs,
  tagRecord,
  wireManifest,
} from '../support/ecs.ts';
import { leakForms } from '../support/leaks.ts';

// Characters that percent-encoding changes, so encoded copies of a secret are searched for too.
const STS: Required<AlibabaCredentials> = {
  accessKeyId: 'STS.redaction-test-id',
  accessKeySecret: 'Secret+Marker/7f1c=QX',
  securityToken: 'Token+Marker/CAIS9a8=ZZ*',
};
const WRONG_SECRET = 'Wrong+Secret/marker=99';

/** Every form a value could leak in: raw, form-encoded, RPC-encoded, and double-encoded (string to sign). */
function expectNoLeak(haystack: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of leakForms(secret)) expect(haystack, `leaked ${JSON.stringify(form)}`).not.toContain(form);
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-redaction-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `tag-cleanup run` in-process at debug level, capturing stdout, stderr and both report formats. */
async function captureRun(
  endpoint: string,
  credentials: AlibabaCredentials,
  resources: number,
  tag: string,
  reportExt: 'json' | 'csv',
) {
  const manifestPath = join(dir, `${tag}.json`);
  await writeFile(
    manifestPath,
    JSON.stringify(
      wireManifest([
        ...Array.from({ length: resources }, (_, i) => ({
          resourceId: `d-${i}`,
          tags: Object.keys(tagRecord(6)).map((key) => ({ key })),
        })),
        { resourceId: 'd-missing', tags: [{ key: 'k0' }] },
      ]),
    ),
  );
  const stdout = captureStream();
  const stderr = captureStream();
  const report = join(dir, `${tag}-report.${reportExt}`);
  const result = await runCommand(
    {
      files: [manifestPath],
      dryRun: false,
      endpoint,
      maxQps: 1000,
      concurrency: 4,
      maxAttempts: 6,
      requestTimeoutMs: 2000,
      maxResources: 1000,
      report,
      logLevel: 'debug',
    },
    { stdout: stdout.stream, stderr: stderr.stream, credentials: staticCredentials(credentials) },
  );
  expect(result.exitCode).toBe(1); // the missing resource at least
  const reportText = await readFile(report, 'utf8');
  return { all: [stdout.text(), stderr.text(), reportText].join('\n---\n'), stdout: stdout.text() };
}

describe('secrets in the output of a full run', () => {
  it('never show the key secret, the STS token or any signature sent, through retries, throttles and 5xx', async () => {
    // Prepare
    const emulator = await startTestEcs(
      inventory(...Array.from({ length: 4 }, (_, i) => resource(`d-${i}`, tagRecord(6)))),
      { accounts: [STS], maxQps: 20, burst: 1, retryAfterMs: 'auto', faults: { errorRate: 0.2 }, seed: 7 },
    );
    const proxy = await startRecordingProxy(emulator.url);
    try {
      // Act
      const { all, stdout } = await captureRun(proxy.url, STS, 4, 'faulty', 'json');
      // Assess: the run really went through the error paths it claims to cover
      const stats = emulator.stats();
      expect(stats.throttled).toBeGreaterThan(0);
      expect((stats.errorsByCode.InternalError ?? 0) + (stats.errorsByCode.ServiceUnavailable ?? 0)).toBeGreaterThan(0);
      expect(stdout).toContain('"msg":"call.attempt"'); // debug lines were on
      expect(stdout).toContain('"msg":"call.retry"');
      const signatures = proxy.requests.map((r) => r.params.get('Signature') ?? '');
      expect(signatures.length).toBeGreaterThan(10);
      expect(proxy.requests.every((r) => r.params.get('SecurityToken') === STS.securityToken)).toBe(true);
      expectNoLeak(all, [STS.accessKeySecret, STS.securityToken, ...signatures]);
      expect(all).not.toMatch(/Signature=/);
    } finally {
      await proxy.close();
      await emulator.close();
    }
  });

  it('never show them when a wrong secret stops the run', async () => {
    // Prepare
    const emulator = await startTestEcs(
      inventory(...Array.from({ length: 4 }, (_, i) => resource(`d-${i}`, tagRecord(6)))),
      {
        accounts: [STS],
      },
    );
    const proxy = await startRecordingProxy(emulator.url);
    try {
      // Act
      const { all } = await captureRun(proxy.url, { ...STS, accessKeySecret: WRONG_SECRET }, 4, 'fatal', 'csv');
      // Assess
      expect(all).toContain('SignatureDoesNotMatch');
      const signatures = proxy.requests.map((r) => r.params.get('Signature') ?? '');
      expect(signatures.length).toBeGreaterThan(0);
      expectNoLeak(all, [WRONG_SECRET, STS.accessKeySecret, STS.securityToken, ...signatures]);
    } finally {
      await proxy.close();
      await emulator.close();
    }
  });

  it('never show the STS token when the server echoes its string to sign, as real ECS does', async () => {
    // Prepare: real ECS appends "server string to sign is:<StringToSign>" to SignatureDoesNotMatch, and the
    // string to sign holds every parameter, SecurityToken included.
    const server = await startRawServer((_req, res, body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      delete params.Signature;
      const message = `Specified signature is not matched with our calculation. server string to sign is:${stringToSign('POST', params)}`;
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          RequestId: 'R-echo',
          HostId: 'ecs.aliyuncs.com',
          Code: 'SignatureDoesNotMatch',
          Message: message,
        }),
      );
    });
    try {
      // Act
      const { all } = await captureRun(server.url, STS, 2, 'echo', 'json');
      // Assess
      expect(all).toContain('SignatureDoesNotMatch');
      expectNoLeak(all, [STS.accessKeySecret, STS.securityToken]);
    } finally {
      await server.close();
    }
  });
});

describe('logger redaction', () => {
  it.each(REDACT_PATHS.filter((p) => !p.startsWith('*.')))('censors %s at the top level and one level down', (path) => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => void lines.push(l) } });
    // Act
    logger.info({ [path]: 'leak-top', request: { [path]: 'leak-nested' } }, 'redaction.check');
    // Assess
    const text = lines.join('');
    expect(text).not.toContain('leak-top');
    expect(text).not.toContain('leak-nested');
    expect(text).toContain('[redacted]');
  });

  it('censors a whole credentials object', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => void lines.push(l) } });
    // Act
    logger.info({ credentials: STS }, 'redaction.check');
    // Assess
    expectNoLeak(lines.join(''), [STS.accessKeySecret, STS.securityToken]);
  });
});
