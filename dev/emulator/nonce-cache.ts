/**
 * Remembers used `SignatureNonce`s for a fixed window so replays are refused, while keeping memory
 * bounded: entries older than the window are pruned on every use.
 */
export class NonceCache {
  // Map keeps insertion order; with a clock that does not go backwards that is also expiry order,
  // so pruning only ever looks at the front.
  readonly #expiresAtMs = new Map<string, number>();
  readonly #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records `nonce` at `nowMs`; returns false when it was already used inside the window. */
  use(nonce: string, nowMs: number): boolean {
    this.#prune(nowMs);
    const expiresAtMs = this.#expiresAtMs.get(nonce);
    if (expiresAtMs !== undefined && expiresAtMs > nowMs) return false;
    this.#expiresAtMs.delete(nonce);
    this.#expiresAtMs.set(nonce, nowMs + this.#windowMs);
    return true;
  }

  /** Number of nonces currently remembered. */
  get size(): number {
    return this.#expiresAtMs.size;
  }

  #prune(nowMs: number): void {
    for (const [nonce, expiresAtMs] of this.#expiresAtMs) {
      if (expiresAtMs > nowMs) return;
      this.#expiresAtMs.delete(nonce);
    }
  }
}
