import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../../dev/emulator/defaults.ts';
import {
  type EmulatorOptions,
  type InventoryFile,
  type InventoryResource,
  type RunningEmulator,
  startEmulator,
} from '../../dev/emulator/server.ts';
import { EcsClient, type EcsClientOptions } from '../../lib/alibaba/client.ts';
import { type AlibabaCredentials, staticCredentials } from '../../lib/alibaba/credentials.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { Manifest, ResourceType, TagSpec } from '../../lib/core/manifest/types.ts';
import type { ExecutorOptions } from '../../lib/engine/executor.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';

/** The emulator's default account, as client credentials. */
export const EMULATOR_CREDENTIALS: AlibabaCredentials = {
  accessKeyId: EMULATOR_ACCESS_KEY_ID,
  accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
};

/** One inventory resource; tags as a plain record. */
export function resource(
  resourceId: string,
  tags: Record<string, string>,
  more: Partial<Omit<InventoryResource, 'resourceId' | 'tags'>> = {},
): InventoryResource {
  return { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId, tags, ...more };
}

/** An inventory from resources. */
export function inventory(...resources: InventoryResource[]): InventoryFile {
  return { resources };
}

/** `n` tags `k0..k(n-1)`, each with value `v<i>`. */
export function tagRecord(n: number, prefix = 'k'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]));
}

/** Starts the project's emulator on 127.0.0.1:0 with the given inventory (and options). */
export function startTestEcs(inv: InventoryFile, options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  return startEmulator({ host: '127.0.0.1', port: 0, ...options, inventory: inv });
}

/** An EcsClient pointed at `url` with static credentials (the emulator's by default). */
export function testClient(
  url: string,
  credentials: AlibabaCredentials = EMULATOR_CREDENTIALS,
  options: Partial<Omit<EcsClientOptions, 'credentials' | 'endpoint'>> = {},
): EcsClient {
  return new EcsClient({ endpoint: url, credentials: staticCredentials(credentials), ...options });
}

/** A logger whose every line lands in `lines` (raw) and `records` (parsed). */
export function capturingLogger(level = 'info'): {
  logger: Logger;
  lines: string[];
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Executor options for integration runs: fast, real sleeps, tiny backoffs, no pacing to speak of. */
export function fastExecutorOptions(
  overrides: Partial<Omit<ExecutorOptions, 'logger'>> = {},
): Omit<ExecutorOptions, 'logger'> {
  return {
    rate: new AdaptiveRateController({ maxQps: 100_000 }),
    concurrency: 8,
    maxAttempts: 8,
    requestTimeoutMs: 2_000,
    baseDelayMs: 1,
    throttleBaseDelayMs: 1,
    maxDelayMs: 5,
    ...overrides,
  };
}

/** A manifest entry as written on the wire. */
export interface WireEntryInput {
  readonly resourceType?: ResourceType | string;
  readonly resourceId: string;
  readonly regionId?: string;
  readonly tags: readonly TagSpec[];
}

/** Builds (and validates through the real parser) a version-1 manifest. */
export function manifest(
  entries: readonly WireEntryInput[],
  more: { manifestId?: string; regionId?: string; dryRun?: boolean } = {},
): Manifest {
  return parseManifest(wireManifest(entries, more));
}

/** The JSON document of a manifest, for files and stdin. */
export function wireManifest(
  entries: readonly WireEntryInput[],
  more: { manifestId?: string; regionId?: string; dryRun?: boolean } = {},
): Record<string, unknown> {
  return {
    version: 1,
    manifestId: more.manifestId ?? 'm-test',
    regionId: more.regionId ?? 'cn-hangzhou',
    dryRun: more.dryRun ?? false,
    resources: entries.map((e) => ({ resourceType: 'disk', ...e })),
  };
}

/** A stdout/stderr stand-in that keeps everything written; `isTTY` is false like a pipe. */
export interface CapturedStream {
  readonly stream: NodeJS.WriteStream;
  text(): string;
}

export function captureStream(): CapturedStream {
  const chunks: string[] = [];
  const fake = {
    isTTY: false,
    write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    },
  };
  // Only `write` and `isTTY` are used by the CLI; the cast documents that narrow contract.
  return { stream: fake as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

/** One request that went through {@link startRecordingProxy}. */
export interface RecordedRequest {
  readonly params: URLSearchParams;
  readonly body: string;
}

/**
 * A loopback HTTP proxy in front of `targetUrl` that records every request body, so tests can see
 * the exact signatures the client sent without touching the client.
 */
export async function startRecordingProxy(
  targetUrl: string,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ params: new URLSearchParams(body), body });
      fetch(new URL(req.url ?? '/', targetUrl), {
        method: req.method ?? 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
        ...(req.method === 'POST' && { body }),
      }).then(
        async (answer) => {
          const text = await answer.text();
          const headers: Record<string, string> = {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          };
          const retryAfter = answer.headers.get('x-acs-retry-after');
          if (retryAfter !== null) headers['x-acs-retry-after'] = retryAfter;
          res.writeHead(answer.status, headers).end(text);
        },
        () => res.destroy(),
      );
    });
  });
  const url = await listen(server);
  return { url, requests, close: () => closeServer(server) };
}

/** A bare loopback HTTP server answering with `handler`; for answers the emulator never gives. */
export async function startRawServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
