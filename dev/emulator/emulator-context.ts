import { KNOWN_REGIONS } from '../../lib/core/ecs-api.ts';
import { ConfigError } from '../../lib/core/errors.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET, NONCE_WINDOW_MS } from './defaults.ts';
import { FaultInjector, type FaultOptions } from './faults.ts';
import { type EcsAction, FlowControl } from './flow-control.ts';
import { Inventory } from './inventory.ts';
import { type InventoryFile, parseInventory } from './inventory-file.ts';
import { NonceCache } from './nonce-cache.ts';
import { PageTokens } from './page-tokens.ts';
import { StatsRecorder } from './stats.ts';
import type { EmulatorAccount } from './verify.ts';

/** The few pino-style methods the emulator logs with; messages are constant, details go in `fields`. */
export interface EmulatorLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Options of `startEmulator`. */
export interface EmulatorOptions {
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Initial resources and tags; validated again here and copied, never mutated. */
  readonly inventory: InventoryFile;
  /** Accepted credentials. @default one account with EMULATOR_ACCESS_KEY_ID / EMULATOR_ACCESS_KEY_SECRET */
  readonly accounts?: readonly EmulatorAccount[];
  /** RemoveTags flow control, in calls per second; omitted means unlimited. Each API has its own quota. */
  readonly maxQps?: number;
  /**
   * Largest RemoveTags burst the flow control lets through at once, in calls.
   * @default max(1, ceil(maxQps)): one second's worth, like a per-second quota
   */
  readonly burst?: number;
  /** DescribeTags flow control, in calls per second; omitted means unlimited. */
  readonly describeTagsMaxQps?: number;
  /** Largest DescribeTags burst, in calls. @default max(1, ceil(describeTagsMaxQps)) */
  readonly describeTagsBurst?: number;
  /** ListTagResources flow control, in calls per second; omitted means unlimited. */
  readonly listTagResourcesMaxQps?: number;
  /** Largest ListTagResources burst, in calls. @default max(1, ceil(listTagResourcesMaxQps)) */
  readonly listTagResourcesBurst?: number;
  /**
   * Rows per ListTagResources page (ECS has no page-size parameter); small values let tests split one
   * resource's rows across pages. @default 50
   */
  readonly listPageSize?: number;
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

/** Everything a request handler reads or changes: the resolved options and the emulator's state. */
export interface EmulatorContext {
  readonly now: () => number;
  readonly logger: EmulatorLogger;
  readonly maxBodyBytes: number;
  readonly retryAfterMs: number | 'auto' | undefined;
  readonly accounts: ReadonlyMap<string, EmulatorAccount>;
  readonly nonces: NonceCache;
  readonly faults: FaultInjector;
  readonly stats: StatsRecorder;
  readonly flow: FlowControl;
  readonly inventory: Inventory;
  /** Rows per ListTagResources page. */
  readonly listPageSize: number;
  /** The NextTokens handed out; cleared when the inventory is replaced. */
  readonly pageTokens: PageTokens;
  /** Public regions plus the inventory's own; refreshed when the inventory is replaced. */
  knownRegions: ReadonlySet<string>;
  /** Aborted by `close()`, so latency sleeps end and nothing is applied afterwards. */
  readonly closed: AbortSignal;
}

const SILENT_LOGGER: EmulatorLogger = { debug() {}, info() {}, warn() {} };

/** Validates the options and builds the emulator's state from them; throws a ConfigError on a bad option. */
export function createEmulatorContext(options: EmulatorOptions, closed: AbortSignal): EmulatorContext {
  const { retryAfterMs } = options;
  if (typeof retryAfterMs === 'number' && !(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) {
    throw new ConfigError(`retryAfterMs must be a non-negative number or 'auto' (got ${retryAfterMs})`);
  }
  const now = options.now ?? Date.now;
  const inventory = new Inventory(parseInventory(options.inventory, 'emulator inventory'));
  const accounts = options.accounts ?? [
    { accessKeyId: EMULATOR_ACCESS_KEY_ID, accessKeySecret: EMULATOR_ACCESS_KEY_SECRET },
  ];
  const listPageSize = options.listPageSize ?? 50;
  if (!(Number.isInteger(listPageSize) && listPageSize >= 1)) {
    throw new ConfigError(`listPageSize must be a whole number of at least 1 (got ${listPageSize})`);
  }
  const flow = new FlowControl(now);
  for (const [action, limit] of Object.entries(apiLimits(options))) flow.set(action, limit.maxQps, limit.burst);
  return {
    now,
    logger: options.logger ?? SILENT_LOGGER,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    retryAfterMs,
    accounts: new Map(accounts.map((a) => [a.accessKeyId, a] as const)),
    nonces: new NonceCache(NONCE_WINDOW_MS),
    faults: new FaultInjector(options.faults ?? {}, options.seed ?? 1),
    stats: new StatsRecorder(options.recordCalls ?? true),
    flow,
    inventory,
    listPageSize,
    pageTokens: new PageTokens(),
    knownRegions: knownRegionsOf(inventory),
    closed,
  };
}

/** The flow control options of each API, by action name. */
export function apiLimits(options: EmulatorOptions): Record<EcsAction, { maxQps?: number; burst?: number }> {
  const limit = (maxQps: number | undefined, burst: number | undefined) => ({
    ...(maxQps === undefined ? {} : { maxQps }),
    ...(burst === undefined ? {} : { burst }),
  });
  return {
    RemoveTags: limit(options.maxQps, options.burst),
    DescribeTags: limit(options.describeTagsMaxQps, options.describeTagsBurst),
    ListTagResources: limit(options.listTagResourcesMaxQps, options.listTagResourcesBurst),
  };
}

/** The regions the actions accept: the public ones and every region the inventory holds. */
export function knownRegionsOf(inventory: Inventory): ReadonlySet<string> {
  return new Set([...KNOWN_REGIONS, ...inventory.regions()]);
}
