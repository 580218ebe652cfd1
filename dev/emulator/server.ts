import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KNOWN_REGIONS } from '../../lib/core/ecs-api.ts';
import { ConfigError, messageOf } from '../../lib/core/errors.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET, NONCE_WINDOW_MS } from './defaults.ts';
import { type EcsErrorAnswer, ecsError } from './ecs-error.ts';
import { type FaultDecision, FaultInjector, type FaultOptions } from './faults.ts';
import { Inventory, type InventoryFile, parseInventory } from './inventory.ts';
import { NonceCache } from './nonce-cache.ts';
import { readParams } from './read-params.ts';
import { validateRemoveTags } from './remove-tags.ts';
import { type RenderedBody, type ResponseFormat, renderError, renderSuccess, responseFormat } from './render.ts';
import { type EmulatorStats, StatsRecorder } from './stats.ts';
import { TokenBucket } from './token-bucket.ts';
import { type EmulatorAccount, verifyRequest } from './verify.ts';

export type { FaultOptions } from './faults.ts';
export type { InventoryFile, InventoryResource } from './inventory.ts';
export { loadInventory, parseInventory } from './inventory.ts';
export type { EmulatorStats, RemoveTagsCallRecord, SecondStats } from './stats.ts';
export type { EmulatorAccount } from './verify.ts';

/** The few pino-style methods the emulator logs with; messages are constant, details go in `fields`. */
export interface EmulatorLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Initial resources and tags; validated again here and copied, never mutated. */
  readonly inventory: InventoryFile;
  /** Accepted credentials. @default one account with EMULATOR_ACCESS_KEY_ID / EMULATOR_ACCESS_KEY_SECRET */
  readonly accounts?: readonly EmulatorAccount[];
  /** Account flow control, in calls per second; omitted means unlimited. */
  readonly maxQps?: number;
  /**
   * Largest burst the flow control lets through at once, in calls.
   * @default max(1, ceil(maxQps)): one second's worth, like a per-second quota
   */
  readonly burst?: number;
  /**
   * Sets `x-acs-retry-after` on throttled answers: a fixed number of ms, or `'auto'` for the time until
   * the bucket has a token again. Omitted means no header.
   */
  readonly retryAfterMs?: number | 'auto';
  /** Injected faults and latency. @default none */
  readonly faults?: FaultOptions;
  /** Seed of the fault schedule. @default 1 */
  readonly seed?: number;
  /** Server clock in epoch ms (timestamps, nonces, flow control, stats). @default Date.now */
  readonly now?: () => number;
  /** Where to log; nothing is logged without one. */
  readonly logger?: EmulatorLogger;
  /** Keep every applied RemoveTags call in `stats().calls`; turn off for long benchmarks. @default true */
  readonly recordCalls?: boolean;
  /** Largest request body accepted, in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
}

/** A started emulator and the handles tests and benchmarks drive it with. */
export interface RunningEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Current tags of a resource, or undefined when it does not exist. */
  getTags(regionId: string, resourceType: string, resourceId: string): Record<string, string> | undefined;
  /** The whole inventory as JSON-able data. */
  snapshot(): InventoryFile;
  /** Replaces the whole inventory (validated), e.g. to reseed between test cases. */
  replaceInventory(inventory: InventoryFile): void;
  /** Changes flow control at run time; undefined removes it. `burst` defaults as in {@link EmulatorOptions.burst}. */
  setMaxQps(maxQps: number | undefined, burst?: number): void;
  /** Replaces the fault options; a `seed` restarts the schedule, otherwise it continues. */
  setFaults(faults: FaultOptions, seed?: number): void;
  /** A copy of the counters. */
  stats(): EmulatorStats;
  /** Zeroes the counters and forgets recorded calls. */
  resetStats(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

const SILENT_LOGGER: EmulatorLogger = { debug() {}, info() {}, warn() {} };

/** Starts a local ECS RPC emulator answering RemoveTags over HTTP. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? SILENT_LOGGER;
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const { retryAfterMs } = options;
  if (typeof retryAfterMs === 'number' && !(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) {
    throw new ConfigError(`retryAfterMs must be a non-negative number or 'auto' (got ${retryAfterMs})`);
  }

  const inventory = new Inventory(parseInventory(options.inventory, 'emulator inventory'));
  let knownRegions = new Set([...KNOWN_REGIONS, ...inventory.regions()]);
  const accounts = new Map(
    (options.accounts ?? [{ accessKeyId: EMULATOR_ACCESS_KEY_ID, accessKeySecret: EMULATOR_ACCESS_KEY_SECRET }]).map(
      (a) => [a.accessKeyId, a] as const,
    ),
  );
  const nonces = new NonceCache(NONCE_WINDOW_MS);
  const faults = new FaultInjector(options.faults ?? {}, options.seed ?? 1);
  const stats = new StatsRecorder(options.recordCalls ?? true);
  let bucket: TokenBucket | undefined;
  const setMaxQps = (maxQps: number | undefined, burst?: number): void => {
    if (maxQps === undefined) {
      bucket = undefined;
      return;
    }
    if (!(Number.isFinite(maxQps) && maxQps > 0))
      throw new ConfigError(`maxQps must be a positive number (got ${maxQps})`);
    const capacity = burst ?? options.burst ?? Math.max(1, Math.ceil(maxQps));
    if (!(Number.isFinite(capacity) && capacity >= 1))
      throw new ConfigError(`burst must be at least 1 (got ${capacity})`);
    if (bucket) bucket.reconfigure(maxQps, capacity);
    else bucket = new TokenBucket({ ratePerSecond: maxQps, capacity, now });
  };
  setMaxQps(options.maxQps);

  // Latency timers are tracked so close() can cancel them instead of waiting them out.
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const send = (
    res: ServerResponse,
    httpStatus: number,
    rendered: RenderedBody,
    requestId: string,
    extraHeaders: Record<string, string> = {},
  ): void => {
    if (res.destroyed || res.headersSent) return;
    res.writeHead(httpStatus, {
      'content-type': rendered.contentType,
      'content-length': Buffer.byteLength(rendered.body),
      'x-acs-request-id': requestId,
      ...extraHeaders,
    });
    res.end(rendered.body);
  };

  const answerError = (
    req: IncomingMessage,
    res: ServerResponse,
    format: ResponseFormat,
    error: EcsErrorAnswer,
    requestId: string,
    extraHeaders?: Record<string, string>,
  ): void => {
    const hostId = req.headers.host ?? 'ecs.aliyuncs.com';
    send(res, error.httpStatus, renderError(format, error, requestId, hostId), requestId, extraHeaders);
    const throttled = error.code.startsWith('Throttling');
    stats.outcome(throttled ? 'throttled' : 'error', now(), error.code);
    logger.debug({ requestId, code: error.code, httpStatus: error.httpStatus }, 'emulator answered with an error');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.request();
    const requestId = randomUUID().toUpperCase();
    const method = req.method;
    if (method !== 'GET' && method !== 'POST') {
      const error = ecsError('UnsupportedHTTPMethod', 405, `The HTTP method ${method ?? ''} is not supported.`);
      answerError(req, res, 'JSON', error, requestId);
      return;
    }
    const read = await readParams(req, maxBodyBytes);
    if (!read.ok) {
      answerError(req, res, 'JSON', read.error, requestId);
      return;
    }
    const { params } = read;
    const format = responseFormat(params.Format);
    if (!(req.url ?? '/').startsWith('/?') && req.url !== '/') {
      // The RPC signature covers the path `/` only, so any other path cannot be a valid call.
      answerError(req, res, format, ecsError('InvalidAction.NotFound', 404, 'Specified api is not found.'), requestId);
      return;
    }

    const auth = verifyRequest(method, params, { accounts, nonces, nowMs: now() });
    if (!auth.ok) {
      answerError(req, res, format, auth.error, requestId);
      return;
    }

    if (bucket && !bucket.tryTake()) {
      const headers: Record<string, string> = {};
      if (retryAfterMs !== undefined) {
        const waitMs = retryAfterMs === 'auto' ? Math.max(1, bucket.msUntilNextToken()) : retryAfterMs;
        headers['x-acs-retry-after'] = String(waitMs);
      }
      const error = ecsError('Throttling.User', 400, 'Request was denied due to user flow control.');
      answerError(req, res, format, error, requestId, headers);
      return;
    }

    const fault: FaultDecision = faults.next();
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    switch (fault.kind) {
      case 'reset':
        stats.outcome('reset', now());
        req.socket.destroy();
        return;
      case 'hang':
        // Left unanswered on purpose; close() destroys the socket if the client never gives up.
        stats.outcome('hang', now());
        return;
      case 'internalError':
        answerError(req, res, format, internalError(), requestId);
        return;
      case 'serviceUnavailable':
        answerError(
          req,
          res,
          format,
          ecsError('ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.'),
          requestId,
        );
        return;
      case 'none':
      case 'applyThen500':
        break;
    }

    const action = params.Action ?? '';
    if (action !== 'RemoveTags') {
      answerError(req, res, format, ecsError('InvalidAction.NotFound', 404, 'Specified api is not found.'), requestId);
      return;
    }
    const call = validateRemoveTags(params, knownRegions, inventory);
    if (!call.ok) {
      answerError(req, res, format, call.error, requestId);
      return;
    }
    const { regionId, resourceType, resourceId, tags } = call.request;
    const removedKeys = inventory.removeTags(regionId, resourceType, resourceId, tags);
    const httpStatus = fault.kind === 'applyThen500' ? 500 : 200;
    stats.applied({ requestId, regionId, resourceType, resourceId, tags, removedKeys, httpStatus, atMs: now() });
    if (httpStatus === 500) {
      answerError(req, res, format, internalError(), requestId);
      return;
    }
    send(res, 200, renderSuccess(format, action, requestId), requestId);
    stats.outcome('ok', now());
    logger.debug(
      { requestId, regionId, resourceType, resourceId, removed: removedKeys.length },
      'emulator removed tags',
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.warn({ error: messageOf(error) }, 'emulator request failed');
      answerError(req, res, 'JSON', internalError(), randomUUID().toUpperCase());
    });
  });
  // Longer than the usual client keep-alive (4-5 s) so idle sockets are closed by the client, not raced.
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info({ url, resources: inventory.snapshot().resources.length }, 'emulator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    getTags: (regionId, resourceType, resourceId) => inventory.getTags(regionId, resourceType, resourceId),
    snapshot: () => inventory.snapshot(),
    replaceInventory: (file) => {
      inventory.replace(parseInventory(file, 'emulator inventory'));
      knownRegions = new Set([...KNOWN_REGIONS, ...inventory.regions()]);
    },
    setMaxQps,
    setFaults: (f, seed) => faults.set(f, seed),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung and keep-alive sockets would otherwise hold close() open forever.
        server.closeAllConnections();
        logger.info({ url }, 'emulator closed');
      });
      return closing;
    },
  };
}

function internalError(): EcsErrorAnswer {
  return ecsError('InternalError', 500, 'The request processing has failed due to some unknown error.');
}
