import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../../dev/emulator/defaults.ts';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { startTestEmulator } from '../support/emulator.ts';

// The official client signs with the wall clock, so these tests use the emulator's default clock.

const removeEnv = {
  RegionId: 'cn-shenzhen',
  ResourceType: 'snapshot',
  ResourceId: 's-946ntx4wr',
  'Tag.1.Key': 'env',
  'Tag.1.Value': 'dev',
};

let emulator: RunningEmulator | undefined;
let proxy: Server | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  if (proxy) {
    const closing = proxy;
    proxy = undefined;
    await new Promise<void>((resolve) => closing.close(() => resolve()));
    closing.closeAllConnections();
  }
});

function popCore(endpoint: string, accessKeySecret = EMULATOR_ACCESS_KEY_SECRET): RPCClient {
  return new RPCClient({ accessKeyId: EMULATOR_ACCESS_KEY_ID, accessKeySecret, endpoint, apiVersion: '2014-05-26' });
}

/** The error code pop-core attaches to the error it throws for an API error answer. */
async function codeOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
    return 'no error';
  } catch (error) {
    return error instanceof Error && 'code' in error ? error.code : error;
  }
}

/** A loopback proxy that rewrites each request body after the client signed it. */
async function startTamperingProxy(target: string, rewrite: (body: string) => string): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = rewrite(Buffer.concat(chunks).toString('utf8'));
      const upstream = request(
        `${target}${req.url ?? '/'}`,
        {
          method: req.method ?? 'POST',
          headers: { ...req.headers, 'content-length': Buffer.byteLength(body) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.end(body);
    });
  });
  proxy = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('emulator with the official @alicloud/pop-core client', () => {
  it('accepts a POST signed by pop-core and removes the tag', async () => {
    // Prepare
    emulator = await startTestEmulator();
    const client = popCore(emulator.url);
    // Act
    const answer = await client.request('RemoveTags', removeEnv, { method: 'POST', formatParams: false });
    // Assess
    // json-bigint builds prototype-less objects, so compare by value, not by prototype.
    expect(answer).toEqual({ RequestId: expect.any(String) });
    expect(emulator.getTags('cn-shenzhen', 'snapshot', 's-946ntx4wr')).toStrictEqual({ test: 'api', owner: 'alice' });
  });

  it('accepts a GET signed by pop-core', async () => {
    // Prepare
    emulator = await startTestEmulator();
    const client = popCore(emulator.url);
    // Act
    const answer = await client.request('RemoveTags', removeEnv, { method: 'GET' });
    // Assess
    // json-bigint builds prototype-less objects, so compare by value, not by prototype.
    expect(answer).toEqual({ RequestId: expect.any(String) });
    expect(emulator.getTags('cn-shenzhen', 'snapshot', 's-946ntx4wr')).not.toHaveProperty('env');
  });

  it('refuses pop-core with a wrong secret with SignatureDoesNotMatch', async () => {
    // Prepare
    emulator = await startTestEmulator();
    const client = popCore(emulator.url, 'not-the-secret');
    // Act
    const code = await codeOf(client.request('RemoveTags', removeEnv, { method: 'POST' }));
    // Assess
    expect(code).toBe('SignatureDoesNotMatch');
    expect(emulator.getTags('cn-shenzhen', 'snapshot', 's-946ntx4wr')).toHaveProperty('env', 'dev');
  });

  it('refuses a pop-core request whose signed parameters were changed in transit', async () => {
    // Prepare
    emulator = await startTestEmulator();
    const endpoint = await startTamperingProxy(emulator.url, (body) =>
      // Were the signature not checked, this would remove owner=alice instead of env=dev.
      body.replace('Tag.1.Key=env', 'Tag.1.Key=owner').replace('Tag.1.Value=dev', 'Tag.1.Value=alice'),
    );
    const client = popCore(endpoint);
    // Act
    const code = await codeOf(client.request('RemoveTags', removeEnv, { method: 'POST' }));
    // Assess
    expect(code).toBe('SignatureDoesNotMatch');
    expect(emulator.getTags('cn-shenzhen', 'snapshot', 's-946ntx4wr')).toStrictEqual({
      test: 'api',
      owner: 'alice',
      env: 'dev',
    });
  });
});
