import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentCredentials } from '../../lib/alibaba/credentials.ts';
import { defaultProvider } from '../../lib/aws/lambda-credential-provider.ts';
import { ssmExtensionCredentials } from '../../lib/aws/ssm-credentials.ts';
import { CredentialsError } from '../../lib/core/errors.ts';

// The AWS Parameters and Secrets Lambda Extension cannot run here; this stand-in speaks its documented
// HTTP API (GET /systemsmanager/parameters/get, token header) so the real client code is exercised.
const parameters: Record<string, string> = { '/tc/id': 'AKID-from-ssm', '/tc/secret': 'secret-from-ssm' };
let server: Server;
let url: string;
const seen: { path: string; token: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: u.pathname, token: req.headers['x-aws-parameters-secrets-token'] as string | undefined });
    const name = u.searchParams.get('name') ?? '';
    if (req.headers['x-aws-parameters-secrets-token'] !== 'session-token') {
      res.writeHead(401).end();
      return;
    }
    const value = parameters[name];
    if (value === undefined || u.searchParams.get('withDecryption') !== 'true') {
      res.writeHead(400).end(`{"message":"ParameterNotFound ${name}"}`);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ Parameter: { Name: name, Value: value } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('ssmExtensionCredentials', () => {
  it('reads both SecureString parameters with decryption and the session token', async () => {
    // Prepare
    const source = ssmExtensionCredentials({
      accessKeyIdParam: '/tc/id',
      accessKeySecretParam: '/tc/secret',
      extensionUrl: url,
      sessionToken: 'session-token',
    });
    // Act
    const credentials = await source();
    // Assess
    expect(credentials).toStrictEqual({ accessKeyId: 'AKID-from-ssm', accessKeySecret: 'secret-from-ssm' });
    expect(seen.at(-1)?.path).toBe('/systemsmanager/parameters/get');
  });

  it('caches the credentials for the TTL, then reads them again', async () => {
    // Prepare
    let nowMs = 0;
    const source = ssmExtensionCredentials({
      accessKeyIdParam: '/tc/id',
      accessKeySecretParam: '/tc/secret',
      extensionUrl: url,
      sessionToken: 'session-token',
      ttlMs: 1000,
      now: () => nowMs,
    });
    const before = seen.length;
    // Act
    await source();
    await source();
    const afterCached = seen.length;
    nowMs = 1001;
    await source();
    // Assess
    expect(afterCached - before).toBe(2);
    expect(seen.length - afterCached).toBe(2);
  });

  it('names the parameter, not its value, when it cannot be read', async () => {
    // Prepare
    const source = ssmExtensionCredentials({
      accessKeyIdParam: '/tc/id',
      accessKeySecretParam: '/tc/missing',
      extensionUrl: url,
      sessionToken: 'session-token',
    });
    // Act
    const error = await source().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('/tc/missing');
    expect((error as Error).message).not.toContain('AKID-from-ssm');
  });
});

describe('environmentCredentials', () => {
  it('returns STS credentials when a security token is set', async () => {
    // Act
    const credentials = await environmentCredentials({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'token',
    })();
    // Assess
    expect(credentials).toStrictEqual({ accessKeyId: 'id', accessKeySecret: 'secret', securityToken: 'token' });
  });

  it('says which variables to set when none are', async () => {
    // Act
    const error = await environmentCredentials({})().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM.*ALIBABA_CLOUD_ACCESS_KEY_ID/);
  });
});

describe('lambda credential provider (bundle alias)', () => {
  it('reads the AWS role credentials Lambda puts in the environment', async () => {
    // Prepare
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'ASIA-test';
    process.env.AWS_SECRET_ACCESS_KEY = 'aws-secret';
    try {
      // Act
      const credentials = await defaultProvider()();
      // Assess
      expect(credentials).toMatchObject({ accessKeyId: 'ASIA-test', secretAccessKey: 'aws-secret' });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});
