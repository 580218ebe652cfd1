import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import { messageOf } from '../../lib/core/errors.ts';
import {
  apiLimits,
  createEmulatorContext,
  type EmulatorContext,
  type EmulatorOptions,
  knownRegionsOf,
} from './emulator-context.ts';
import type { FaultOptions } from './faults.ts';
import type { EcsAction } from './flow-control.ts';
import { answerUnexpected, handleRequest } from './handle-request.ts';
import { type InventoryFile, parseInventory } from './inventory-file.ts';
import { closeServer, listen } from './listen.ts';
import type { EmulatorStats } from './stats.ts';

export type { EmulatorLogger, EmulatorOptions } from './emulator-context.ts';
export type { FaultOptions } from './faults.ts';
export type { EcsAction } from './flow-control.ts';
export type { InventoryFile, InventoryResource } from './inventory-file.ts';
export { loadInventory, parseInventory } from './inventory-file.ts';
export type { ActionStats, EmulatorStats, RemoveTagsCallRecord, SecondStats } from './stats.ts';
export type { EmulatorAccount } from './verify.ts';

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
  /**
   * Changes an API's flow control at run time (RemoveTags unless `action` says otherwise); undefined
   * removes it. `burst` defaults to the API's burst option, else one second's worth.
   */
  setMaxQps(maxQps: number | undefined, burst?: number, action?: EcsAction): void;
  /** Replaces the fault options; a `seed` restarts the schedule, otherwise it continues. */
  setFaults(faults: FaultOptions, seed?: number): void;
  /** A copy of the counters. */
  stats(): EmulatorStats;
  /** Zeroes the counters and forgets recorded calls. */
  resetStats(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

/** Starts a local ECS RPC emulator answering RemoveTags, DescribeTags and ListTagResources over HTTP. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const closing = new AbortController();
  // Every request waiting out its latency listens for close(); hundreds may wait at once, which is expected.
  setMaxListeners(0, closing.signal);
  const ctx = createEmulatorContext(options, closing.signal);
  const server = createServer((req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      ctx.logger.warn({ error: messageOf(error) }, 'emulator request failed');
      answerUnexpected(ctx, req, res);
    });
  });
  // Longer than the usual client keep-alive (4-5 s) so idle sockets are closed by the client, not raced.
  server.keepAliveTimeout = 30_000;
  const { url, port } = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  ctx.logger.info({ url, resources: ctx.inventory.snapshot().resources.length }, 'emulator listening');
  return runningEmulator(ctx, options, server, { url, port }, closing);
}

function runningEmulator(
  ctx: EmulatorContext,
  options: EmulatorOptions,
  server: Server,
  address: { url: string; port: number },
  closing: AbortController,
): RunningEmulator {
  let closed: Promise<void> | undefined;
  return {
    ...address,
    getTags: (regionId, resourceType, resourceId) => ctx.inventory.getTags(regionId, resourceType, resourceId),
    snapshot: () => ctx.inventory.snapshot(),
    replaceInventory: (file) => {
      ctx.inventory.replace(parseInventory(file, 'emulator inventory'));
      ctx.knownRegions = knownRegionsOf(ctx.inventory);
      ctx.pageTokens.clear();
    },
    setMaxQps: (maxQps, burst, action = 'RemoveTags') =>
      ctx.flow.set(action, maxQps, burst ?? apiLimits(options)[action].burst),
    setFaults: (faults, seed) => ctx.faults.set(faults, seed),
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    close: () => {
      closing.abort();
      closed ??= closeServer(server).then(() => ctx.logger.info({ url: address.url }, 'emulator closed'));
      return closed;
    },
  };
}
