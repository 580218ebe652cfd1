import { randomBytes } from 'node:crypto';
import type { StoredResource } from './inventory.ts';

/** Where the next ListTagResources page starts: a resource of the listing, and the first tag key to show. */
export interface ListingCursor {
  /** Identifies the query (region, type, ids, filters); a token is only good for the query that made it. */
  readonly query: string;
  /** The resources the first page found, sorted by id. Tags are only ever removed, so none can join later. */
  readonly resources: readonly StoredResource[];
  readonly index: number;
  /** Rows of `resources[index]` start at this key (sorted order); undefined means its first key. */
  readonly fromKey?: string;
}

/**
 * The `NextToken`s the emulator has handed out: random, opaque, reusable (a client retrying a page after
 * a network error sends the same token again), and bounded: the oldest are forgotten past `capacity`.
 */
export class PageTokens {
  readonly #cursors = new Map<string, ListingCursor>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** A new token for `cursor`. */
  issue(cursor: ListingCursor): string {
    const token = randomBytes(16).toString('hex');
    this.#cursors.set(token, cursor);
    if (this.#cursors.size > this.#capacity) {
      const oldest = this.#cursors.keys().next().value;
      if (oldest !== undefined) this.#cursors.delete(oldest);
    }
    return token;
  }

  /** The cursor a token stands for, or undefined when the emulator never issued it (or forgot it). */
  resolve(token: string): ListingCursor | undefined {
    return this.#cursors.get(token);
  }

  /** Forgets every token, e.g. when the inventory they point into is replaced. */
  clear(): void {
    this.#cursors.clear();
  }
}
