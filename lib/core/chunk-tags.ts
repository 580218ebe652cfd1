/**
 * A resource's tags as RemoveTags calls: drop the tags another one already removes, then split the rest
 * into the fewest calls of at most five tags with no key twice in a call. Pure and linear in the tags.
 */
import { MAX_TAGS_PER_CALL } from './ecs-api.ts';
import type { TagSpec } from './manifest/types.ts';

// Below this many tags, linear scans beat building Maps and Sets (a typical resource lists a handful).
// The bench's plan scenario (100 000 resources x 12 tags, 7 alternating runs on 2 busy cores) says it pays:
// planManifest median 362 ms with the linear path, 438 ms with Maps only (314 vs 474 ms after parseManifest),
// the same peak memory (210 MiB), so both paths stay.
const SMALL = 24;

/** A packed array of n zeros (faster to index than a holey `new Array(n)`). */
function zeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push(0);
  return out;
}

/**
 * For each position, the first position holding the same key. Linear scans for short lists, a Map
 * for long ones, so the cost stays linear in the number of tags.
 */
function firstOfKey(tags: readonly TagSpec[]): number[] {
  const n = tags.length;
  const first: number[] = [];
  if (n <= SMALL) {
    for (let i = 0; i < n; i += 1) {
      const key = (tags[i] as TagSpec).key;
      let j = 0;
      while ((tags[j] as TagSpec).key !== key) j += 1;
      first.push(j);
    }
    return first;
  }
  // A Map, not an object: keys such as "__proto__" or "constructor" are ordinary tag keys here.
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const key = (tags[i] as TagSpec).key;
    const j = seen.get(key);
    if (j === undefined) seen.set(key, i);
    first.push(j ?? i);
  }
  return first;
}

/**
 * Drops tags another tag already removes: exact duplicates, and any `key=value` when the bare `key`
 * is also listed (a key-only removal takes every value). First-appearance order; a bare key takes the
 * place of the first tag with that key.
 */
export function dedupeTags(tags: readonly TagSpec[]): TagSpec[] {
  const n = tags.length;
  const first = firstOfKey(tags);
  // Nothing to drop: the common case, so skip the per-tag work. Tags are immutable, so they are shared.
  if (!hasRepeats(first)) return tags.slice();

  // keyOnly[f] is 1 when the key first seen at position f also appears bare somewhere.
  const keyOnly = zeros(n);
  for (let i = 0; i < n; i += 1) if ((tags[i] as TagSpec).value === undefined) keyOnly[first[i] as number] = 1;

  const out: TagSpec[] = [];
  // Values already emitted per key (by first position), only built for keys that repeat with values.
  let emittedValues: Map<number, Set<string>> | undefined;
  for (let i = 0; i < n; i += 1) {
    const tag = tags[i] as TagSpec;
    const f = first[i] as number;
    if (keyOnly[f] === 1) {
      if (f === i) out.push(tag.value === undefined ? tag : { key: tag.key });
      continue;
    }
    const value = tag.value as string;
    if (f === i) {
      out.push(tag);
      continue;
    }
    if (n <= SMALL) {
      // Short list: look back for the same key and value instead of building a Set.
      let dup = false;
      for (let j = f; j < i && !dup; j += 1) dup = first[j] === f && (tags[j] as TagSpec).value === value;
      if (!dup) out.push(tag);
      continue;
    }
    emittedValues ??= new Map();
    let emitted = emittedValues.get(f);
    if (!emitted) {
      emitted = new Set([(tags[f] as TagSpec).value as string]);
      emittedValues.set(f, emitted);
    }
    if (!emitted.has(value)) {
      emitted.add(value);
      out.push(tag);
    }
  }
  return out;
}

/** Whether any key appears at more than one position (`first` as {@link firstOfKey} returns it). */
function hasRepeats(first: readonly number[]): boolean {
  for (let i = 0; i < first.length; i += 1) if (first[i] !== i) return true;
  return false;
}

/**
 * Splits tags into the fewest calls of at most `size` tags such that no call holds the same key twice
 * (how RemoveTags treats a repeated key with two values is undocumented, so never send one).
 * That minimum is `max(ceil(n / size), largest number of tags sharing a key)`. Pass deduplicated tags.
 * Order: calls fill front to back and each call keeps input order.
 * @param size maximum tags per call. @default MAX_TAGS_PER_CALL
 */
export function chunkTags(tags: readonly TagSpec[], size: number = MAX_TAGS_PER_CALL): TagSpec[][] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer; got ${size}`);
  const n = tags.length;
  if (n === 0) return [];

  const first = firstOfKey(tags);
  // Every key once (the common case): plain consecutive slices are already minimal.
  if (!hasRepeats(first)) {
    const calls: TagSpec[][] = [];
    for (let start = 0; start < n; start += size) calls.push(tags.slice(start, start + size));
    return calls;
  }
  const { callCount, callOf } = assignCalls(first, size);
  // Walking positions in order keeps input order inside every call.
  const calls: TagSpec[][] = Array.from({ length: callCount }, () => []);
  for (let i = 0; i < n; i += 1) (calls[callOf[i] as number] as TagSpec[]).push(tags[i] as TagSpec);
  return calls;
}

/** The call each position goes to, for tags where some keys repeat, and how many calls that takes. */
function assignCalls(first: readonly number[], size: number): { callCount: number; callOf: number[] } {
  const n = first.length;
  const multiplicity = zeros(n);
  let maxMultiplicity = 0;
  for (let i = 0; i < n; i += 1) {
    const f = first[i] as number;
    const m = (multiplicity[f] as number) + 1;
    multiplicity[f] = m;
    if (m > maxMultiplicity) maxMultiplicity = m;
  }
  const callCount = Math.max(Math.ceil(n / size), maxMultiplicity);
  const callOf = zeros(n);
  const fill = zeros(callCount);
  // Repeated keys first, dealt round-robin with one running cursor, key by key: each key's run of at
  // most callCount tags lands in distinct calls, and call sizes never differ by more than one, so
  // none exceeds `size`.
  const next = nextOfKey(first);
  let cursor = 0;
  for (let f = 0; f < n; f += 1) {
    if (first[f] !== f || (multiplicity[f] as number) < 2) continue;
    for (let i = f; i !== -1; i = next[i] as number) {
      const call = cursor % callCount;
      callOf[i] = call;
      fill[call] = (fill[call] as number) + 1;
      cursor += 1;
    }
  }
  // Single-key tags cannot clash, so each goes to the first call with room; total room callCount*size >= n.
  let call = 0;
  for (let i = 0; i < n; i += 1) {
    if (multiplicity[first[i] as number] !== 1) continue;
    while ((fill[call] as number) >= size) call += 1;
    callOf[i] = call;
    fill[call] = (fill[call] as number) + 1;
  }
  return { callCount, callOf };
}

/** For each position, the next position with the same key, or -1: each key's positions as a chain, in order. */
function nextOfKey(first: readonly number[]): number[] {
  const n = first.length;
  const next = zeros(n);
  const last = zeros(n);
  for (let i = 0; i < n; i += 1) {
    const f = first[i] as number;
    next[i] = -1;
    if (f !== i) next[last[f] as number] = i;
    last[f] = i;
  }
  return next;
}
