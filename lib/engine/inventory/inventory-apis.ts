/** The listing APIs of one region, each behind its own executor: its own rate controller, retries and stats. */
import type { InventoryClient } from '../../core/ports.ts';
import type { Executor } from '../executor.ts';

/**
 * DescribeTags and ListTagResources have separate quotas per API, region and account (inventory notes),
 * so each gets its own executor; sharing one would let a throttled API slow the other down.
 */
export interface InventoryApis {
  readonly client: InventoryClient;
  readonly describeTags: Executor;
  readonly listTagResources: Executor;
}

/** The outcome of a listing that may fail after its retries. A failure is never read as "no tags". */
export type Listing<T> =
  | { readonly ok: true; readonly value: T; readonly calls: number }
  | { readonly ok: false; readonly error: unknown; readonly calls: number };
